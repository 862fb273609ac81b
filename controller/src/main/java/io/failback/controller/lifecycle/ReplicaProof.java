package io.failback.controller.lifecycle;

import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.PhaseProgress;
import io.failback.proto.v1.SyncMode;
import java.util.List;

/**
 * The proof of an upload (the agent sends: a protection's initial replication, a failover's
 * final sync, a reverse replication, a replication cycle): both sides' whole-disk digests of
 * every disk, equal, as a failback's phases have them ({@link PhaseReport}). A job's tasks
 * keep them, and so its end in the audit trail.
 */
final class ReplicaProof {
  private ReplicaProof() {}

  /** Throws naming the first disk whose replica's digest differs from the on-prem disk's. */
  static void check(List<DiskTransfer.Disk> disks, List<SyncOutcome> outcomes)
      throws LifecycleException {
    for (int i = 0; i < outcomes.size(); i++) {
      SyncOutcome outcome = outcomes.get(i);
      if (!outcome.digestsMatch()) {
        throw new LifecycleException("disk " + disks.get(i).onPremPath() + ": digests differ,"
            + " on-prem " + outcome.agent().getDiskDigest() + ", cloud replica "
            + outcome.controller().diskDigestHex());
      }
    }
  }

  /**
   * Records each disk's digests (the agent's as the source's) and counters on its task, as a
   * phase named {@code what}; returns what the job's "verified" step adds.
   */
  static String record(LifecycleContext context, String jobId, String vmId, String what,
      SyncMode mode, List<DiskTransfer.Disk> disks, List<SyncOutcome> outcomes)
      throws Exception {
    for (int i = 0; i < outcomes.size(); i++) {
      SyncOutcome outcome = outcomes.get(i);
      context.jobs().editTask(jobId, vmId, disks.get(i).onPremPath(),
          t -> t.setSourceDigest(outcome.agent().getDiskDigest())
              .setTargetDigest(outcome.controller().diskDigestHex())
              .addPhases(PhaseProgress.newBuilder().setPhase(what)
                  .setProgress(t.getProgress())));
    }
    return " (" + mode + "): whole-disk digests equal on both sides; "
        + PhaseReport.moved(outcomes, true);
  }
}
