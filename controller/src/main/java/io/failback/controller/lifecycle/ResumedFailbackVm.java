package io.failback.controller.lifecycle;

import io.failback.controller.cloud.PowerState;
import io.failback.controller.sync.JobEncryption;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.VirtualMachine;
import java.time.Instant;
import java.util.List;

/**
 * One VM's failback continued by a controller that started while the job ran (a restart, or
 * a standby taking over): it goes on from where the item is instead of failing.
 *
 * <ul>
 *   <li>Before CompleteFailover (FAILING_BACK, FAILBACK_SYNCED): phase 1 again from a fresh
 *       snapshot. After a completed phase 1 (FAILBACK_SYNCED) whose snapshot the cloud kept:
 *       tracked from that snapshot, which both digest sets record, so only what the cloud VM
 *       wrote since is sent. Cut in phase 1 (FAILING_BACK) with a failover baseline: tracked
 *       from the failover, every block the cloud VM wrote since sent again (the cut run's
 *       among them). Otherwise a delta pass: blocks already on-prem are compared, not sent
 *       again. The job then waits for CompleteFailover unless the operator had sent it.
 *   <li>After it (FAILBACK_COMPLETING): the cloud VM is off already; phase 2 goes on from
 *       each lane's last durable checkpoint (DurableLanes) as a checksum pass: the blocks below
 *       it are not read again, those above are compared and only what differs is sent.
 *   <li>A full download whose cloud VM was stopped: the same, from the download's checkpoints.
 *   <li>A full download that was to recreate a VM deleted on its own host and was cut before
 *       it did: it recreates the VM now and downloads into its new disks.
 * </ul>
 *
 * <p>The undo journal is the same: the agent preserves a region on its first write only, so
 * it still holds the disks as they were before the first run. Nothing starts before the
 * host's agent is back (up to --agent-return-timeout); a failure then rolls back as usual.
 */
final class ResumedFailbackVm extends FailbackVm {
  private final ProtectionState found;
  private final String thumbprint;
  private final Instant stoppedAt;

  /**
   * @param lastKnown the on-prem VM as its host last reported it; refreshed once it answers
   * @param targetHost the host the request named when it is not the item's own, else empty
   * @param thumbprint the encryption certificate the request named, or empty
   * @param stoppedAt when the job stopped the cloud VM, or null if it had not
   * @param resumed how many times the job was continued, this time included
   */
  ResumedFailbackVm(LifecycleContext context, ProtectedItem item, VirtualMachine lastKnown,
      DataSync dataSync, String targetHost, String thumbprint, String tag, Instant stoppedAt,
      int resumed) {
    super(context, item, lastKnown, dataSync, targetHost, null, tag);
    this.found = item.getState();
    this.thumbprint = thumbprint;
    this.stoppedAt = stoppedAt;
    this.sessionSuffix = "-r" + resumed;
    this.fullAsDelta = dataSync == DataSync.FULL_DOWNLOAD && stoppedAt != null;
  }

  /** Past CompleteFailover: the verify pass was done and the cloud VM stopped. */
  private boolean pastCompletion() {
    return found == ProtectionState.FAILBACK_COMPLETING || fullAsDelta;
  }

  @Override
  public void begin(String jobId) throws Exception {
    initialize(jobId);
    undoJournal = item.getUndoJournal();
    step("continuing after a controller restart; the item was " + found
        + (pastCompletion() ? ", the cloud VM off: the transfer goes on from each lane's last"
            + " durable checkpoint as a checksum pass (what reached the host is compared, not"
            + " sent again) once host "
            + host() + " answers" : ": phase 1 runs again from a fresh snapshot once host "
            + host() + " answers"));
  }

  @Override
  public void prepare() throws Exception {
    context.transfer().awaitAgent(host(), jobId);
    if (alternateHost.isEmpty() && dataSync == DataSync.FULL_DOWNLOAD) {
      // Cut before it recreated a VM deleted on its own host: it does so now, into new disks.
      java.util.Optional<String> gone = new OnPremLoss(context).of(item);
      if (gone.isPresent()) {
        alternateHost = item.getOnPremHost();
        recreating(gone.get());
        fullAsDelta = false;
      }
    }
    if (alternateHost.isEmpty()) {
      onPrem = context.hosts().vm(FlowSupport.onPremVmId(item));
    }
    certificate = new EncryptionChoice(context).select(item, host(), thumbprint);
    if (certificate != null) {
      encryption = JobEncryption.forCertificate(certificate, jobId, context.clock().instant());
    }
    if (pastCompletion() && recreating == null) {
      return;
    }
    if (found == ProtectionState.FAILBACK_SYNCED && alternateHost.isEmpty()
        && dataSync == DataSync.SYNC_BEFORE_FAILOVER) {
      // Listed only where it can serve: phase 1 completed, its snapshot the one kept.
      List<String> kept = FlowSupport.takenSnapshots(context, item);
      continuedFrom = kept.size() == 1 ? kept.get(0) : null;
    }
    try {
      super.prepare();
    } finally {
      if (continuedFrom != null) {
        // Phase 1 ran from it or failed: a snapshot kept would preserve every guest overwrite.
        String done = continuedFrom;
        FlowSupport.quietly("releasing snapshot " + done,
            () -> context.cloud().releaseSnapshot(done));
      }
    }
  }

  @Override
  public void stopSource() throws Exception {
    if (!pastCompletion() && stoppedAt == null) {
      super.stopSource();
      return;
    }
    cloudOff = stoppedAt != null ? stoppedAt : context.clock().instant();
    boolean running = context.cloud().get(item.getCloudVmId())
        .map(vm -> vm.state() == PowerState.RUNNING).orElse(false);
    if (running) {
      // Never two live copies: whoever started it, it stops before the on-prem copy starts.
      context.cloud().shutdown(item.getCloudVmId());
    }
    step("cloud VM off since " + cloudOff + " (stopped before the restart"
        + (running ? "; it was running again and was shut down" : "") + ")");
  }

  @Override
  public void transfer() throws Exception {
    if (fullAsDelta) {
      step("the full download goes on as a checksum pass: blocks already written are"
          + " compared, not sent again");
    }
    if (found != ProtectionState.FAILBACK_COMPLETING) {
      super.transfer();
      return;
    }
    // A tracked pass would send again every block above the checkpoints that reached the host
    // before the restart; the checksum pass compares them and sends only what it lacks.
    snapshotId = null;
    super.transfer();
    // Phase 1's snapshot, kept by the cloud, goes when the on-prem VM starts.
    List<String> kept = FlowSupport.takenSnapshots(context, item);
    snapshotId = kept.size() == 1 ? kept.get(0) : null;
  }
}
