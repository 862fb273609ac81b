package io.failback.controller.lifecycle;

import io.failback.controller.store.CheckpointRecords;
import io.failback.controller.store.StoreException;
import io.failback.controller.tuning.BlockSize;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.SyncRole;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each lane's last acknowledged batch of a job's transfer, kept in the store under the job, the
 * VM, the phase and the disk (not under a session id, which dies with the process), so that a
 * controller that restarts or takes over goes on from there instead of reading every block of
 * both sides again.
 *
 * <p>Only a transfer whose source cannot change meanwhile keeps them ({@link
 * DiskTransfer.Plan#resumeKey}): phase 2 and a full download, with the cloud VM off, where the
 * agent acknowledged each batch after it was durable on the host (data, digest set, undo
 * journal); and a job's replication into the cloud, whose source is the agent's read point,
 * which the agent keeps for the continued session ({@link #readPointToken}), and whose batches
 * this controller made durable in the cloud disk before it acknowledged them.
 * A checkpoint that cannot be read or written costs a longer resume, never correctness: the
 * pass then reads from the start.
 */
final class DurableLanes {
  private static final Logger log = LoggerFactory.getLogger(DurableLanes.class);

  /** Keeps nothing: a controller without a store (tests of the transfer alone). */
  static final DurableLanes NONE = new DurableLanes(null);

  private final CheckpointRecords records;

  DurableLanes(CheckpointRecords records) {
    this.records = records;
  }

  /** The store's key of a job's checkpoints, before the disk. */
  static String jobKey(String jobId) {
    return "job-" + jobId + "/";
  }

  /**
   * The token under which the agent keeps the read point of {@code plan}'s source sessions when
   * they end early, so that a continued session reads the same moment: a job's pass that keeps
   * checkpoints, or a delta cycle (whose disk refused for lost change tracking is compared in
   * the read point of the VM's other disks); empty when the agent is not the source.
   */
  static String readPointToken(DiskTransfer.Plan plan) {
    if (plan.agentRole() != SyncRole.SOURCE) {
      return "";
    }
    if (plan.jobId().isEmpty()) {
      return "cycle/" + plan.vmId() + "/" + plan.sessionPrefix();
    }
    if (plan.resumeKey().isEmpty()) {
      return "";
    }
    return jobKey(plan.jobId()) + plan.vmId() + "/" + plan.resumeKey();
  }

  /**
   * Where {@code plan}'s sessions for {@code disk} start, with {@code lanes} lanes: empty to
   * start at the beginning. A lane's checkpoint holds only for the lanes and the block size it
   * was made with (another lane count cuts the disk into other ranges), so those are kept apart.
   */
  Map<Integer, LaneCheckpoint> load(DiskTransfer.Plan plan, int disk, int lanes) {
    String key = key(plan, disk, lanes);
    if (key == null) {
      return Map.of();
    }
    try {
      return records.get(key);
    } catch (StoreException e) {
      log.warn("checkpoints of " + key + " unreadable, the pass starts at the beginning: "
          + e.getMessage());
      return Map.of();
    }
  }

  /** Records a lane's acknowledged batch. */
  void record(DiskTransfer.Plan plan, int disk, int lanes, LaneCheckpoint checkpoint) {
    String key = key(plan, disk, lanes);
    if (key == null) {
      return;
    }
    try {
      records.put(key, checkpoint);
    } catch (StoreException | RuntimeException e) {
      log.warn("checkpoint of " + key + " lane " + checkpoint.getLane() + " not recorded: "
          + e.getMessage());
    }
  }

  /** The disk's pass is over: its checkpoints would only mislead a later run. */
  void forget(DiskTransfer.Plan plan, int disk) {
    String key = disk(plan, disk);
    if (key != null) {
      try {
        // Whatever lanes they were made with.
        records.deletePrefix(key + "/l");
      } catch (StoreException e) {
        log.warn("checkpoints of " + key + " not forgotten: " + e.getMessage());
      }
    }
  }

  /** The job ended: none of its checkpoints is of use any more. */
  void forgetJob(String jobId) {
    if (records == null) {
      return;
    }
    try {
      records.deletePrefix(jobKey(jobId));
    } catch (StoreException e) {
      log.warn("checkpoints of job " + jobId + " not forgotten: " + e.getMessage());
    }
  }

  static String describe(Map<Integer, LaneCheckpoint> start) {
    return new TreeMap<>(start).values().stream().map(c -> "lane " + c.getLane() + " block "
        + c.getWatermarkBlock()).collect(Collectors.joining(", "));
  }

  private String key(DiskTransfer.Plan plan, int disk, int lanes) {
    String prefix = disk(plan, disk);
    int block = plan.blocks().bytes();
    // Watermarks count blocks: another block size puts them elsewhere. The default's keys are
    // as before block sizes could change, so a standby of the version before reads them.
    return prefix == null ? null : prefix + "/l" + lanes
        + (block == BlockSize.DEFAULT ? "" : "/b" + block);
  }

  private String disk(DiskTransfer.Plan plan, int disk) {
    if (records == null || plan.resumeKey().isEmpty() || plan.jobId().isEmpty()) {
      return null;
    }
    // The VM too: a recovery plan's VMs share the job, and their phase 2 runs side by side.
    return jobKey(plan.jobId()) + plan.vmId() + "/" + plan.resumeKey() + "/d" + disk;
  }
}
