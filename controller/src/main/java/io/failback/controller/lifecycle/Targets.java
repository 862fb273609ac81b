package io.failback.controller.lifecycle;

import static com.google.common.base.Preconditions.checkArgument;

import java.time.Duration;
import java.util.List;

/**
 * The VMs an action applies to, in groups: a recovery plan's ordered groups, or one group of
 * the VMs an operator listed.
 *
 * @param recoveryPlan the plan's name, or empty for a list of VMs
 */
public record Targets(String recoveryPlan, List<Group> groups) {

  /**
   * One group: its VMs start together; the next group starts only after every VM of this one
   * runs, then {@code delayAfter}, then the operator's {@code manualAction} if there is one.
   */
  public record Group(List<String> vmIds, Duration delayAfter, String manualAction) {
    public Group {
      vmIds = List.copyOf(vmIds);
      checkArgument(!vmIds.isEmpty(), "a group needs at least one VM");
      checkArgument(!delayAfter.isNegative(), "delay_after is negative");
    }
  }

  public Targets {
    groups = List.copyOf(groups);
    checkArgument(!groups.isEmpty(), "no VM to act on");
  }

  /** The VMs an operator listed, as one group in their order. */
  public static Targets of(List<String> vmIds) {
    return new Targets("", List.of(new Group(vmIds, Duration.ZERO, "")));
  }

  /** Every VM, group by group. */
  public List<String> vmIds() {
    return groups.stream().flatMap(g -> g.vmIds().stream()).toList();
  }
}
