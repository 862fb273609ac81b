package io.failback.controller.plans;

import static io.failback.controller.plans.RecoveryPlanException.Reason.INVALID;
import static java.lang.String.CASE_INSENSITIVE_ORDER;

import com.google.protobuf.Duration;
import com.google.protobuf.util.Durations;
import io.failback.common.ids.InvalidIdException;
import io.failback.common.ids.PlanName;
import io.failback.common.text.BoundedText;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rules a recovery plan follows, checked before anything is stored; the first broken rule
 * is reported, naming the group (numbered from 1, as the CLI does) and the field or VM.
 */
final class PlanRules {
  static final int MAX_NAME_LENGTH = PlanName.MAX_LENGTH;
  static final Duration MAX_DELAY = Durations.fromHours(24);
  static final int MAX_MANUAL_ACTION_LENGTH = 1000;

  private PlanRules() {}

  /**
   * Checks a plan name given in {@code field}, e.g. "name".
   *
   * @return the name
   */
  static String checkName(String field, String name) throws RecoveryPlanException {
    try {
      return PlanName.parse(field, name).value();
    } catch (InvalidIdException e) {
      throw invalid(e.getMessage());
    }
  }

  /**
   * Checks every rule and returns the plan as it is stored: each VM by its protected item's
   * own id, zero delays left unset.
   *
   * @param items every protected item the controller knows
   */
  static RecoveryPlan canonical(RecoveryPlan plan, List<ProtectedItem> items)
      throws RecoveryPlanException {
    checkName("name", plan.getName());
    if (plan.getGroupsCount() == 0) {
      throw invalid("recovery plan '" + plan.getName() + "' has no groups; give it at least"
          + " one group of VMs");
    }
    Placement placement = new Placement(items);
    RecoveryPlan.Builder canonical = RecoveryPlan.newBuilder().setName(plan.getName());
    for (int g = 0; g < plan.getGroupsCount(); g++) {
      canonical.addGroups(group(g + 1, plan.getGroups(g), placement));
    }
    if (plan.hasRpoTarget()) {
      canonical.setRpoTarget(checkRpoTarget(plan.getRpoTarget()));
    }
    if (!plan.getBandwidthLimit().isBlank()) {
      try {
        canonical.setBandwidthLimit(io.failback.controller.bandwidth.BandwidthSchedule
            .parse(plan.getBandwidthLimit()).text());
      } catch (IllegalArgumentException e) {
        throw invalid("bandwidth_limit: " + e.getMessage());
      }
    }
    return canonical.build();
  }

  /** The same bounds as an item's target: 1 minute to 30 days. */
  static com.google.protobuf.Duration checkRpoTarget(com.google.protobuf.Duration target)
      throws RecoveryPlanException {
    if (!com.google.protobuf.util.Durations.isValid(target)
        || com.google.protobuf.util.Durations.toSeconds(target) < 60
        || com.google.protobuf.util.Durations.toSeconds(target) > 30L * 24 * 3600
        || com.google.protobuf.util.Durations.toSeconds(target) == 30L * 24 * 3600
            && target.getNanos() > 0) {
      throw invalid("rpo_target must be from 1 minute to 30 days, got "
          + com.google.protobuf.util.Durations.toString(target));
    }
    return target;
  }

  private static RecoveryPlanGroup group(int number, RecoveryPlanGroup group,
      Placement placement) throws RecoveryPlanException {
    String where = "group " + number;
    if (group.getVmIdsCount() == 0) {
      throw invalid(where + " has no VMs; every group needs at least one");
    }
    RecoveryPlanGroup.Builder canonical = RecoveryPlanGroup.newBuilder();
    for (int v = 0; v < group.getVmIdsCount(); v++) {
      String vmId = group.getVmIds(v);
      if (vmId.isBlank()) {
        throw invalid(where + ": VM id number " + (v + 1) + " is empty");
      }
      canonical.addVmIds(placement.place(number, vmId));
    }
    checkDelay(where, group);
    if (group.hasDelayAfter() && !isZero(group.getDelayAfter())) {
      canonical.setDelayAfter(group.getDelayAfter());
    }
    checkManualAction(where, group.getManualAction());
    return canonical.setManualAction(group.getManualAction()).build();
  }

  /** Which group holds each VM so far, by the protected item's own id, in any case. */
  private static final class Placement {
    private final Map<String, ProtectedItem> items = new TreeMap<>(CASE_INSENSITIVE_ORDER);
    private final Map<String, Integer> groups = new TreeMap<>(CASE_INSENSITIVE_ORDER);

    Placement(List<ProtectedItem> known) {
      known.forEach(item -> items.put(item.getVmId(), item));
    }

    /** Puts the VM in {@code group}; returns its canonical id. */
    String place(int group, String vmId) throws RecoveryPlanException {
      ProtectedItem item = items.get(vmId);
      if (item == null) {
        throw invalid("group " + group + ": vm " + BoundedText.echo(vmId) + " is not a protected"
            + " item; list them with ListProtectedItems");
      }
      Integer earlier = groups.putIfAbsent(item.getVmId(), group);
      if (earlier != null) {
        throw invalid("group " + group + ": vm " + BoundedText.echo(vmId) + " is already in"
            + " group " + earlier
            + "; a VM may be in one group of a plan only");
      }
      return item.getVmId();
    }
  }

  private static void checkDelay(String where, RecoveryPlanGroup group)
      throws RecoveryPlanException {
    if (!group.hasDelayAfter()) {
      return;
    }
    Duration delay = group.getDelayAfter();
    if (!Durations.isValid(delay)) {
      throw invalid(where + ": delay_after is not a valid duration (seconds " + delay.getSeconds()
          + ", nanos " + delay.getNanos() + ")");
    }
    if (Durations.isNegative(delay)) {
      throw invalid(where + ": delay_after " + Durations.toString(delay) + " is negative");
    }
    if (Durations.compare(delay, MAX_DELAY) > 0) {
      throw invalid(where + ": delay_after " + Durations.toString(delay) + " is longer than"
          + " 24 h");
    }
  }

  private static void checkManualAction(String where, String text)
      throws RecoveryPlanException {
    int length = text.codePointCount(0, text.length());
    if (length > MAX_MANUAL_ACTION_LENGTH) {
      throw invalid(where + ": manual_action has " + length + " characters; at most "
          + MAX_MANUAL_ACTION_LENGTH);
    }
    if (!text.isEmpty() && text.isBlank()) {
      throw invalid(where + ": manual_action is blank; write what the operator must do, or"
          + " leave it empty for no pause");
    }
  }

  private static boolean isZero(Duration duration) {
    return duration.getSeconds() == 0 && duration.getNanos() == 0;
  }

  private static RecoveryPlanException invalid(String message) {
    return new RecoveryPlanException(INVALID, message);
  }
}
