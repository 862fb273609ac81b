package io.failback.agent.grpc;

import io.failback.common.disk.BlockDevice;
import io.failback.common.sync.WarmUpDisks;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.io.IOException;

/**
 * Admits a warm-up session ({@code StartSync.warm_up}): one that touches no disk of the host,
 * no VM and no agent state, so it asks for none of them.
 */
final class WarmUpSessions {
  private WarmUpSessions() {}

  /** The scratch disk the session writes, or an error naming what the request got wrong. */
  static BlockDevice scratch(StartSync start) throws IOException {
    SyncParameters parameters = start.getParameters();
    String wrong = start.getAgentRole() != SyncRole.TARGET ? "the agent must be its target"
        : parameters.getMode() != SyncMode.FULL ? "its mode must be FULL"
        : !start.getDiskPath().isEmpty() ? "it names no disk_path"
        : !parameters.getDigestSet().isEmpty() ? "it records no digest set"
        : !start.getUndoJournal().isEmpty() ? "it keeps no undo journal"
        : start.getReferenceAfterWrite() ? "it makes no reference point"
        : parameters.getVerifyReread() || parameters.getRereadWritten()
            ? "it reads nothing back (its disk keeps nothing)"
        : !start.getReadPointToken().isEmpty() || start.getContinueReadPoint()
            ? "it reads no read point"
        : parameters.getDiskSize() > WarmUpDisks.MAX_SIZE
            ? "its disk_size is at most " + WarmUpDisks.MAX_SIZE + " bytes"
        : null;
    if (wrong != null) {
      throw new IOException("refused as a warm-up session: " + wrong);
    }
    try {
      return WarmUpDisks.scratchTarget(parameters.getDiskSize(), parameters.getBlockSize());
    } catch (IllegalArgumentException e) {
      throw new IOException("refused as a warm-up session: " + e.getMessage(), e);
    }
  }
}
