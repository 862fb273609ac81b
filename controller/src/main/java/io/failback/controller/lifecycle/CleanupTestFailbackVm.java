package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.proto.v1.FailbackDrill;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.util.ArrayList;
import java.util.List;

/**
 * One VM's CleanupTestFailback: its failback drill's VM is stopped and deleted with its disks
 * by the host's agent (which deletes no VM it did not make for a drill), and snapshots of the
 * cloud VM a drill cut short left behind are released. The item then has no drill. Runs again
 * as often as needed: a VM already gone is nothing to do.
 */
final class CleanupTestFailbackVm extends ItemWork {
  CleanupTestFailbackVm(LifecycleContext context, ProtectedItem item, String tag) {
    super(context, item, null, tag);
  }

  static io.failback.proto.v1.Job launch(LifecycleContext context, VmJobs vmJobs,
      Targets targets) throws Exception {
    java.util.Map<String, ProtectedItem> checked =
        ItemChecks.require(context, targets, OperatorAction.CLEANUP_TEST_FAILBACK);
    List<VmWork> works = new ArrayList<>();
    for (ProtectedItem item : checked.values()) {
      works.add(new CleanupTestFailbackVm(context, item, "-v" + works.size()));
    }
    // Not cancellable: deleting is not undone half-way, and running it again finishes it.
    return vmJobs.launch(new VmJobs.Kind(OperatorAction.CLEANUP_TEST_FAILBACK.rpcName(),
        io.failback.proto.v1.FailoverDirection.CLOUD_TO_ON_PREM, false, false, false), targets,
        works, checked);
  }

  @Override
  public String host() {
    return item.getDrill().getHost();
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    context.items().transition(vmId(), ProtectionState.FAILED_OVER, ProtectionState.FAILED_OVER,
        b -> b.setActiveJobId(jobId));
  }

  @Override
  public void transfer() throws Exception {
    FailbackDrill drill = item.getDrill();
    for (String stale : FlowSupport.takenSnapshots(context, item)) {
      // Only failbacks and drills snapshot a cloud VM, and neither runs beside a drill.
      context.cloud().releaseSnapshot(stale);
      step("released snapshot " + stale + " of the cloud VM, left by the drill");
    }
    String vmId = drill.getVmId().isEmpty() ? unrecorded(context, drill).orElse("")
        : drill.getVmId();
    if (vmId.isEmpty()) {
      step("the drill made no VM: nothing to delete");
      return;
    }
    context.hosts().deleteDrillVm(drill.getHost(), vmId);
    step("drill VM " + drill.getVmName() + " (id " + vmId + ") stopped and deleted with its"
        + " disks on host " + drill.getHost());
  }

  /**
   * The drill's VM when the host made it but its answer never came (a timeout, a restart): the
   * VM its job named, if the host reports one. Only a VM the agent recorded as a drill VM is
   * deleted, so a name alone never costs a production VM.
   */
  static java.util.Optional<String> unrecorded(LifecycleContext context, FailbackDrill drill)
      throws LifecycleException {
    String suffix = TestFailbackVm.nameSuffix(drill.getJobId());
    return context.hosts().inventory(drill.getHost()).stream()
        .flatMap(i -> i.getVirtualMachinesList().stream())
        .filter(v -> v.getName().endsWith(suffix)).map(v -> v.getId()).findFirst();
  }

  @Override
  public void startTarget() throws Exception {
    context.items().transition(vmId(), ProtectionState.FAILED_OVER, ProtectionState.FAILED_OVER,
        b -> b.clearActiveJobId().clearDrill());
    pastNoReturn = true;
    step("failback drill cleaned up; the item is FAILED_OVER with the cloud VM running");
  }

  @Override
  public String abandon(String why, boolean cancelled) {
    if (pastNoReturn) {
      return keptAfterNoReturn();
    }
    quietly("releasing the item", () -> context.items().transition(vmId(),
        ProtectionState.FAILED_OVER, ProtectionState.FAILED_OVER, b -> b.clearActiveJobId()));
    return "the drill VM may still be on host " + item.getDrill().getHost()
        + ": run CleanupTestFailback again";
  }
}
