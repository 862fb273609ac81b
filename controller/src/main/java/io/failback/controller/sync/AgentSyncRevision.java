package io.failback.controller.sync;

import io.failback.common.sync.SessionGeometry;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;

/**
 * What a session may ask of an agent, by the block sync protocol revision the agent said it
 * speaks when it registered ({@code Register.sync_revision}).
 *
 * <p>Why: agents are upgraded host by host, after the controller. An agent from before a
 * revision refuses what the revision added (a batch end or a zero range closing several
 * batches is {@code INVALID_ARGUMENT} to it), so such a session would fail instead of running
 * slower.
 */
public final class AgentSyncRevision {
  /** The revision that added {@code batches_per_end}. */
  static final int BATCHES_PER_END = 2;
  /** The revision that allowed it in DELTA sessions. */
  static final int DELTA_RUNS = 3;
  /** The revision that takes warm-up sessions ({@code StartSync.warm_up}). */
  static final int WARM_UP = 4;

  private AgentSyncRevision() {}

  /**
   * Why an agent of {@code revision} cannot run {@code start}, or null: it would take a warm-up
   * session for a real one and look for a disk named "".
   */
  public static String refusal(int revision, StartSync start) {
    if (start.getWarmUp() && Integer.toUnsignedLong(revision) < WARM_UP) {
      return "the agent speaks sync revision " + revision + ", from before warm-up sessions ("
          + WARM_UP + ")";
    }
    return null;
  }

  /** {@code parameters} without what an agent of {@code revision} does not take. */
  public static SyncParameters spokenBy(int revision, SyncParameters parameters) {
    long spoken = Math.min(Integer.toUnsignedLong(revision), SessionGeometry.PROTOCOL_REVISION);
    int needed = parameters.getMode() == SyncMode.DELTA ? DELTA_RUNS : BATCHES_PER_END;
    if (spoken >= needed || Integer.toUnsignedLong(parameters.getBatchesPerEnd()) <= 1) {
      return parameters;
    }
    return parameters.toBuilder().clearBatchesPerEnd().build();
  }
}
