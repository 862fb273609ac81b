package io.failback.controller.sync;

import io.failback.common.sync.DiskSync;
import io.failback.common.sync.SyncProgress;
import io.failback.proto.v1.SyncReport;

/**
 * Both sides' view of a finished disk sync.
 *
 * @param controller the controller side's result, with its whole-disk digest
 * @param agent what the agent reported, with its own digest
 */
public record SyncOutcome(DiskSync.Result controller, SyncReport agent) {
  /** Whether both sides computed the same whole-disk digest. */
  public boolean digestsMatch() {
    return controller.diskDigestHex().equals(agent.getDiskDigest());
  }

  /**
   * This outcome with what the agent's earlier sessions of the same sync said (as the source,
   * before it was lost and a new session resumed) added to its report, which counts only its
   * last session's work; itself when there were none (or the agent was the target).
   */
  public SyncOutcome withEarlierSources(SyncProgress.SourceCounts earlier) {
    if (earlier.equals(new SyncProgress.SourceCounts(0, 0, 0))) {
      return this;
    }
    return new SyncOutcome(controller, agent.toBuilder()
        .setBlocksScanned(agent.getBlocksScanned() + earlier.scanned())
        .setBlocksEqual(agent.getBlocksEqual() + earlier.equal())
        .setBytesRead(agent.getBytesRead() + earlier.read()).build());
  }
}
