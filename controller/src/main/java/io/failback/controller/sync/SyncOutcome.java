package io.failback.controller.sync;

import io.failback.common.sync.DiskSync;
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
}
