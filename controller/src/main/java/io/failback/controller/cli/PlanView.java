package io.failback.controller.cli;

import com.google.protobuf.util.Durations;
import io.failback.common.text.DurationText;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** How the CLI shows a recovery plan: its groups in start order, VMs by name and id. */
final class PlanView {
  private static final String LABEL = "%-15s %s%n";

  private PlanView() {}

  /**
   * Prints one plan, a line per group and one per delay and manual action.
   *
   * @param vmNames protected VM names by id (in any case); a VM missing here shows its id only
   */
  static void details(RecoveryPlan plan, Map<String, String> vmNames, PrintWriter out) {
    int vms = plan.getGroupsList().stream().mapToInt(RecoveryPlanGroup::getVmIdsCount).sum();
    out.printf(LABEL, "plan", plan.getName() + " (" + count(plan.getGroupsCount(), "group")
        + ", " + count(vms, "VM") + ")");
    if (plan.hasRpoTarget()) {
      out.printf(LABEL, "RPO target", DurationText.format(
          Duration.ofNanos(Durations.toNanos(plan.getRpoTarget()))) + " (every VM of the plan)");
    }
    if (!plan.getBandwidthLimit().isEmpty()) {
      out.printf(LABEL, "bandwidth", plan.getBandwidthLimit() + " (the plan's transfers"
          + " together)");
    }
    for (int g = 0; g < plan.getGroupsCount(); g++) {
      RecoveryPlanGroup group = plan.getGroups(g);
      out.printf(LABEL, "group " + (g + 1), group.getVmIdsList().stream()
          .map(id -> vmNames.containsKey(id) ? vmNames.get(id) + " (" + id + ")" : id)
          .collect(Collectors.joining(", ")));
      if (group.hasDelayAfter()) {
        out.printf(LABEL, "  delay after", DurationText.format(
            Duration.ofNanos(Durations.toNanos(group.getDelayAfter()))));
      }
      if (!group.getManualAction().isEmpty()) {
        // Continuation lines line up under the first, so a multi-line text stays readable.
        out.printf(LABEL, "  manual action", group.getManualAction().strip()
            .replace("\n", String.format("%n%16s", "")));
      }
    }
    out.flush();
  }

  /** Prints one line per plan: its groups, VM count and the start order by VM name. */
  static void table(List<RecoveryPlan> plans, Map<String, String> vmNames, PrintWriter out) {
    Table table = new Table("PLAN", "GROUPS", "VMS", "ORDER");
    for (RecoveryPlan plan : plans) {
      table.row(plan.getName(), plan.getGroupsCount(),
          plan.getGroupsList().stream().mapToInt(RecoveryPlanGroup::getVmIdsCount).sum(),
          plan.getGroupsList().stream()
              .map(group -> group.getVmIdsList().stream()
                  .map(id -> vmNames.getOrDefault(id, id)).collect(Collectors.joining(",")))
              .collect(Collectors.joining(" > ")));
    }
    table.print(out);
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
