package io.failback.agent.hyperv;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Changed-block tracking of a host's disks: which byte ranges a VM wrote since a reference point,
 * so a sync with the on-prem VM as the source reads and compares only those.
 *
 * <p>Only an optimisation: when the answer is empty (the reference point is gone, tracking was
 * reset, the host cannot tell) the caller compares checksums of the whole disk, which is always
 * correct.
 */
public interface ChangeTracking {
  /** A changed region of a disk, in bytes. */
  record ByteRange(long offset, long length) {
    public ByteRange {
      if (offset < 0 || length <= 0) {
        throw new IllegalArgumentException("bad range: offset " + offset + ", length " + length);
      }
    }

    public long end() {
      return offset + length;
    }
  }

  /**
   * The ranges of {@code diskPath} written since {@code referencePoint}, sorted and within
   * {@code [0, diskSize)}; empty when they are not known.
   *
   * @param referencePoint the host's id of the reference point (on Hyper-V a resilient change
   *     tracking id)
   * @throws IOException only if asking failed in a way the operator must see; an unknown
   *     reference point is an empty answer, not an error
   */
  Optional<List<ByteRange>> changedSince(String diskPath, String referencePoint, long diskSize)
      throws IOException;
}
