package io.failback.controller.lifecycle;

import io.failback.controller.cloud.CloudException;
import io.failback.controller.tuning.BlockSize;
import java.util.BitSet;
import java.util.Optional;
import java.util.stream.LongStream;

/** The blocks a cloud VM wrote since phase 1's snapshot: what phase 2 sends. */
final class PhaseTwoChanges {
  /** Where a disk's changes are unavailable, the job says so. */
  interface Steps {
    void step(String description) throws Exception;
  }

  private PhaseTwoChanges() {}

  /** Disk {@code disk}'s changed blocks; empty when nothing tracked them. */
  static Optional<BitSet> of(LifecycleContext context, String snapshotId, int disk,
      BlockSize blocks, Steps steps) throws Exception {
    if (snapshotId == null) {
      return Optional.empty();
    }
    try {
      return context.cloud().changedBlocks(snapshotId, disk, blocks.bytes())
          .map(PhaseTwoChanges::bits);
    } catch (CloudException e) {
      // E.g. a snapshot's tracking lost with the controller that made it: compare instead.
      steps.step("changed blocks of disk " + disk + " unavailable (" + e.getMessage() + ")");
      return Optional.empty();
    }
  }

  /** Block indexes as a set. */
  static BitSet bits(long[] blocks) {
    return LongStream.of(blocks).collect(BitSet::new, (bits, block) -> bits.set((int) block),
        BitSet::or);
  }
}
