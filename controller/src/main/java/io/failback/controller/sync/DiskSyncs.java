package io.failback.controller.sync;

import io.failback.common.disk.BlockDevice;
import io.failback.common.sync.SyncProgress;
import io.failback.common.sync.Throttle;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.StartSync;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** Runs block sync sessions between a controller-side disk and a disk on an agent's host. */
public interface DiskSyncs {
  /**
   * Announces the session to {@code hostName}'s agent and runs the controller's side.
   *
   * @param start the session; the controller takes the role opposite {@code agent_role}
   * @param local the controller-side disk
   * @param resumeFrom durable checkpoints of an earlier run of the same session, by lane
   * @param durable receives each new checkpoint once it is durable, to persist it
   * @return completes when both sides finished; fails with the first cause otherwise
   */
  default CompletableFuture<SyncOutcome> sync(String hostName, StartSync start,
      BlockDevice local, Map<Integer, LaneCheckpoint> resumeFrom,
      Consumer<LaneCheckpoint> durable, SyncProgress progress) {
    return sync(hostName, start, local, resumeFrom, durable, progress, null);
  }

  /**
   * Like the other, for a TRACKED session whose controller side is the source.
   *
   * @param changedBlocks blocks written since the session's digest set was recorded
   */
  default CompletableFuture<SyncOutcome> sync(String hostName, StartSync start,
      BlockDevice local, Map<Integer, LaneCheckpoint> resumeFrom,
      Consumer<LaneCheckpoint> durable, SyncProgress progress, BitSet changedBlocks) {
    return sync(hostName, start, local, resumeFrom, durable, progress, changedBlocks, null);
  }

  /**
   * Like the others, with block payloads sealed end to end under a job key.
   *
   * <p>The session's parameters get {@code encryption.wire()} (the key wrapped for the agent's
   * certificate); the controller side seals or opens with the raw key, whichever its role. An
   * agent that does not hold the certificate's private key, or cannot unwrap the key, refuses
   * the session before it touches the disk, and the future fails with its reason.
   *
   * @param changedBlocks as above, or null
   * @param encryption from {@link JobEncryption#forCertificate}, or null for plain payloads
   */
  default CompletableFuture<SyncOutcome> sync(String hostName, StartSync start,
      BlockDevice local, Map<Integer, LaneCheckpoint> resumeFrom,
      Consumer<LaneCheckpoint> durable, SyncProgress progress, BitSet changedBlocks,
      JobEncryption encryption) {
    return sync(hostName, start, local, resumeFrom, durable, progress, changedBlocks,
        encryption, Throttle.NONE);
  }

  /**
   * Like the others, with the controller's side paced by {@code throttle} (bandwidth limits):
   * it takes every frame it sends or receives, so the limit holds in either direction.
   */
  CompletableFuture<SyncOutcome> sync(String hostName, StartSync start, BlockDevice local,
      Map<Integer, LaneCheckpoint> resumeFrom, Consumer<LaneCheckpoint> durable,
      SyncProgress progress, BitSet changedBlocks, JobEncryption encryption, Throttle throttle);

  /** Whether a session with {@code hostName}'s agent runs now. */
  default boolean busy(String hostName) {
    return false;
  }

  /** Stops a running session on both sides; its future fails as cancelled. No-op if ended. */
  void cancel(String sessionId, String reason);

  /**
   * Deletes the controller's digest set {@code name} (its disk's replication ended); returns
   * whether it was there. A runner that keeps no digest sets has none to delete.
   */
  default boolean deleteDigestSet(String name) throws java.io.IOException {
    return false;
  }
}
