package io.failback.controller.lifecycle;

import io.failback.controller.sync.SyncOutcome;
import java.util.List;
import java.util.Locale;

/**
 * What a failback reads back from the on-prem disks to prove their end state, per transfer, and
 * how the job says so. Digests kept from what was sent prove only what was sent: a bit that
 * flips on-prem while the failback waits, or a write the disk loses, shows only in a reading.
 *
 * <p>The verify pass runs when the operator completes a sync-before failback, while the cloud
 * VM still runs: the agent re-reads the on-prem disks in full against the digests phase 1
 * recorded for the snapshot (the cloud side reads only what differs) and what changed on-prem
 * while the failback waited is sent again. Phase 2 then reads back only what it writes, so the
 * proof rests on on-prem bytes at no cost in downtime.
 */
final class EndStateProof {
  private EndStateProof() {}

  /** What the target reads back in transfer {@code phase} (p1, p1v, p2, full). */
  static DiskTransfer.ReadBack readBack(String phase) {
    return switch (phase) {
      case "p1" -> DiskTransfer.ReadBack.NONE; // the verify pass re-reads it all later
      case "p1v" -> DiskTransfer.ReadBack.VERIFY_PASS;
      default -> DiskTransfer.ReadBack.WRITTEN;
    };
  }

  /** What the digests of a transfer's end state were computed from, for its job step. */
  static String proof(String phase) {
    return switch (phase) {
      case "p2" -> ", computed from the on-prem bytes: every block phase 2 wrote was read back"
          + " once on disk, every other block by the verify pass before the cloud VM stopped";
      case "full" -> ", computed from the on-prem bytes: every block was read back once on disk";
      default -> "";
    };
  }

  /** The job step of a verify pass: what it re-read and what it repaired. */
  static String verifyPassStep(List<SyncOutcome> outcomes) {
    long repaired = 0;
    long reread = 0;
    for (SyncOutcome outcome : outcomes) {
      repaired += outcome.controller().progress().blocksSent()
          + outcome.controller().progress().blocksZero();
      reread += outcome.agent().getBlocksScanned();
    }
    return String.format(Locale.ROOT, "verify pass: the on-prem disks were read back in full"
        + " (%d blocks) against the snapshot's digests; %s", reread, repaired == 0
            ? "nothing had changed since phase 1"
            : repaired + " blocks had changed on-prem since phase 1 and were repaired");
  }
}
