package io.failback.controller.lifecycle;

import io.failback.common.text.ByteText;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.PhaseProgress;
import io.failback.proto.v1.SyncMode;
import java.util.List;
import java.util.Locale;

/** A failback phase's outcome on the job: each disk's digests and counters, and one step. */
final class PhaseReport {
  private PhaseReport() {}

  /**
   * Checks that every disk ended equal and records its digests and the phase's counters on
   * its task.
   *
   * @return the step that sums the phase up, or null for the verify pass, which says its own
   * @throws LifecycleException naming the first disk whose whole-disk digests differ
   */
  static String record(LifecycleContext context, String jobId, String vmId, String phase,
      SyncMode mode, List<DiskTransfer.Disk> disks, List<SyncOutcome> outcomes)
      throws Exception {
    for (int i = 0; i < outcomes.size(); i++) {
      SyncOutcome outcome = outcomes.get(i);
      if (!outcome.digestsMatch()) {
        throw new LifecycleException("disk " + disks.get(i).onPremPath() + ": digests differ,"
            + " cloud " + outcome.controller().diskDigestHex() + ", on-prem "
            + outcome.agent().getDiskDigest());
      }
      String label = switch (phase) {
        case "p1" -> "phase 1";
        case "p1v" -> "verify pass";
        case "p2" -> "phase 2";
        default -> "full download";
      };
      context.jobs().editTask(jobId, vmId, disks.get(i).onPremPath(),
          t -> t.setSourceDigest(outcome.controller().diskDigestHex())
              .setTargetDigest(outcome.agent().getDiskDigest())
              .addPhases(PhaseProgress.newBuilder().setPhase(label)
                  .setProgress(t.getProgress())));
    }
    if (phase.equals("p1v")) {
      return null;
    }
    return String.format(Locale.ROOT, "%s (%s) verified: whole-disk digests equal on both"
        + " sides%s; %s", phase, mode, EndStateProof.proof(phase), moved(outcomes, false));
  }

  /**
   * "N blocks scanned, M sent, Z as zeros, X MiB on the wire" over every disk of a pass (no
   * zeros part when none): blocks scanned as the source counted them ({@code agentSends}: the
   * agent), sent and zero as the controller did, frame bytes of both sides.
   */
  static String moved(List<SyncOutcome> outcomes, boolean agentSends) {
    long scanned = 0;
    long sent = 0;
    long zero = 0;
    for (SyncOutcome outcome : outcomes) {
      scanned += agentSends ? outcome.agent().getBlocksScanned()
          : outcome.controller().progress().blocksScanned();
      sent += outcome.controller().progress().blocksSent();
      zero += outcome.controller().progress().blocksZero();
    }
    return scanned + " blocks scanned, " + sent + " sent, " + (zero > 0 ? zero + " as zeros, "
        : "") + ByteText.human(bytesOnWire(outcomes)) + " on the wire";
  }

  /**
   * The frame bytes a pass moved over every disk, both ways as the controller counted them:
   * the agent's own count is of its last session only, when a lost agent's session resumed.
   */
  static long bytesOnWire(List<SyncOutcome> outcomes) {
    return outcomes.stream().mapToLong(o -> o.controller().progress().bytesBothWays()).sum();
  }
}
