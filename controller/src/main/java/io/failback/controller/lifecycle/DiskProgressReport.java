package io.failback.controller.lifecycle;

import io.failback.common.sync.SyncProgress;
import io.failback.controller.store.StoreException;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.SyncReport;
import io.failback.proto.v1.SyncRole;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transfer's progress per disk, as its job shows it: the controller's own counters while the
 * sessions run, with, in an upload (the agent sends), the blocks scanned and equal and the
 * bytes read the agent's batch ends report; at an upload's end, the agent's report of what it scanned, found equal and
 * read, which only the source side knows (the controller, the target, counts what it received
 * and settled).
 */
final class DiskProgressReport {
  private static final Logger log = LoggerFactory.getLogger(DiskProgressReport.class);

  private DiskProgressReport() {}

  /**
   * Records each disk's progress with its job.
   *
   * @param outcomes the finished sessions in disk order, or null while they run (or failed)
   */
  static void toJob(Jobs jobs, DiskTransfer.Plan plan, List<DiskTransfer.Disk> disks,
      List<SyncProgress.Snapshot> snapshots, List<JobProgressMeter> meters,
      List<SyncOutcome> outcomes) {
    for (int i = 0; i < disks.size(); i++) {
      SyncProgress.Snapshot now = snapshots.get(i);
      long total = disks.get(i).cloudDisk().size();
      JobProgress.Builder progress = JobProgress.newBuilder().setBytesTotal(total)
          .setBytesScanned(Math.min(total, now.blocksSettled() * plan.blocks().bytes()))
          .setBlocksScanned(now.blocksScanned()).setBlocksEqual(now.blocksEqual())
          .setBlocksZero(now.blocksZero()).setBlocksSent(now.blocksSent())
          .setBytesRead(now.bytesRead()).setBytesOnWire(now.bytesBothWays());
      if (outcomes != null && plan.agentRole() == SyncRole.SOURCE) {
        SyncReport agent = outcomes.get(i).agent();
        progress.setBlocksScanned(agent.getBlocksScanned())
            .setBlocksEqual(agent.getBlocksEqual()).setBytesRead(agent.getBytesRead());
      } else if (plan.agentRole() == SyncRole.SOURCE) {
        // While it runs: what the agent's batch ends said, where it counted more (in FULL and
        // TRACKED the controller scans nothing).
        progress.setBlocksScanned(Math.max(now.blocksScanned(), now.sourceBlocksScanned()))
            .setBlocksEqual(Math.max(now.blocksEqual(), now.sourceBlocksEqual()))
            .setBytesRead(Math.max(now.bytesRead(), now.sourceBytesRead()));
      }
      JobProgress reported = meters.get(i).update(progress.build());
      try {
        jobs.progress(plan.jobId(), plan.vmId(), disks.get(i).onPremPath(), reported);
      } catch (NotFoundException | IllegalTransitionException | StoreException e) {
        // A job that ended meanwhile takes no more progress.
        log.debug("progress of job " + plan.jobId() + " not recorded: " + e.getMessage());
      }
    }
  }
}
