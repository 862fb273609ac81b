package io.failback.controller.lifecycle;

import com.google.protobuf.util.Timestamps;
import io.failback.controller.cloud.CloudVm;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.VirtualMachine;
import java.time.Instant;
import java.util.Optional;

/**
 * A protection job (EnableProtection or ReverseReplicate) continued by a controller that
 * started while it ran: once the host's agent is back, the replication goes on into the cloud
 * VM the job had made, from the lanes' last durable checkpoints, reading the read point the
 * agent kept for it; where there is no checkpoint or the read point is gone, as a checksum pass
 * that compares what was already copied and sends only the rest. Without a cloud VM it starts
 * over. Its failure removes the replica as before.
 */
final class ResumedProtectVm extends ProtectVm {
  private final String madeBefore;

  /**
   * @param lastKnown the on-prem VM as its host last reported it
   * @param madeBefore the cloud VM the job had made, or empty
   * @param resumed how many times the job was continued, this time included
   */
  ResumedProtectVm(LifecycleContext context, ProtectedItem item, VirtualMachine lastKnown,
      boolean reverse, String madeBefore, String tag, int resumed) {
    super(context, item, lastKnown, reverse, item.getDataEncryption(), item.getCloudDevices(),
        tag + "-r" + resumed);
    this.madeBefore = madeBefore;
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    step("continuing after a controller restart" + (madeBefore.isEmpty()
        ? ": the replication starts over once host " + item.getOnPremHost() + " answers"
        : ": the replication into cloud VM " + madeBefore + " goes on from its last durable"
            + " checkpoints once host " + item.getOnPremHost() + " answers"));
  }

  @Override
  public void transfer() throws Exception {
    context.transfer().awaitAgent(item.getOnPremHost(), jobId);
    Optional<CloudVm> existing = madeBefore.isEmpty() ? Optional.empty()
        : context.cloud().get(madeBefore);
    if (existing.isEmpty()) {
      super.transfer();
      return;
    }
    cloudVm = existing.get();
    // The read point it goes on reading was frozen after the job began, before the restart.
    copyBegan = Instant.ofEpochMilli(Timestamps.toMillis(context.jobs().get(jobId)
        .getCreatedAt()));
    new Replication(context).replicate(jobId, tag, item, vm, cloudVm.id(), SyncMode.DELTA,
        (reverse ? "reverse replication" : "initial replication") + " (continued: blocks"
            + " already copied are not sent again)");
    checkBoot();
  }
}
