package io.failback.controller.lifecycle;

import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.VirtualMachine;

/**
 * A failover to the cloud (planned or unplanned) continued by a controller that started while
 * it ran: a planned one waits for the host's agent, stops the on-prem VM (again, if it was
 * stopped) and sends the final delta, which compares what is in the replica already; then the
 * cloud VM starts, unless it runs already. A failure restarts the on-prem VM as before.
 */
final class ResumedToCloudVm extends ToCloudVm {
  /**
   * @param lastKnown the on-prem VM as its host last reported it; null for an unplanned one
   * @param resumed how many times the job was continued, this time included
   */
  ResumedToCloudVm(LifecycleContext context, ProtectedItem item, VirtualMachine lastKnown,
      boolean planned, String tag, int resumed) {
    super(context, item, lastKnown, planned, tag + "-r" + resumed);
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    step("continuing after a controller restart: " + (planned ? "the on-prem VM stops and"
        + " the final delta goes to the replica once host " + item.getOnPremHost() + " answers"
        : "the cloud VM starts from the replica"));
  }

  @Override
  public void stopSource() throws Exception {
    if (planned) {
      // Never two live copies: the on-prem VM must be known stopped before the cloud one runs.
      context.transfer().awaitAgent(item.getOnPremHost(), jobId);
    }
    super.stopSource();
  }

  @Override
  public void startTarget() throws Exception {
    boolean running = context.cloud().get(item.getCloudVmId())
        .map(vm -> vm.state() == PowerState.RUNNING).orElse(false);
    if (!running) {
      super.startTarget();
      return;
    }
    pastNoReturn = true;
    step("cloud VM already running (started before the restart)");
    context.items().transition(vmId(), ProtectionState.FAILING_OVER,
        ProtectionState.FAILED_OVER_COMMIT_PENDING, b -> b.clearActiveJobId());
  }
}
