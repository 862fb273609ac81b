package io.failback.agent.hyperv;

import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.io.IOException;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * The change tracking of one sync session with this host's disk as the source: the blocks a
 * TRACKED session sends. Its new reference point is the read point it reads, kept afterwards.
 *
 * @param changed blocks written since the previous reference point; null unless TRACKED
 */
public record SourceTracking(BitSet changed) {
  /** Every block is read and compared. */
  public static final SourceTracking NONE = new SourceTracking(null);

  /** The host does not know the reference point a TRACKED session names. */
  public static final class ReferenceUnknownException extends IOException {
    public ReferenceUnknownException(String message) {
      super(message);
    }
  }

  /**
   * Prepares a source session that reads {@code point}: the blocks written between {@code
   * previous} and the read point for a TRACKED session. The new reference point is the read
   * point itself, kept once the session has read it (see {@link ReadPoints.Lease#succeeded}):
   * exactly what was read, so nothing is sent twice and nothing is missed.
   *
   * @throws ReferenceUnknownException for a TRACKED session whose reference the host does not
   *     know; nothing was read
   */
  public static SourceTracking fromReadPoint(ReadPoint point, String diskPath,
      SyncParameters parameters, String previous) throws IOException {
    if (parameters.getMode() != SyncMode.TRACKED) {
      return NONE;
    }
    Optional<List<ChangeTracking.ByteRange>> ranges =
        point.changedSince(diskPath, previous, parameters.getDiskSize());
    if (ranges.isEmpty()) {
      throw unknown(previous, diskPath);
    }
    return new SourceTracking(blocks(ranges.get(), parameters.getBlockSize()));
  }

  private static ReferenceUnknownException unknown(String reference, String diskPath) {
    return new ReferenceUnknownException("this host does not know change-tracking reference '"
        + reference + "' of disk " + diskPath + "; nothing was read");
  }

  /** The blocks of {@code blockSize} bytes that any of the byte ranges overlaps. */
  static BitSet blocks(List<ChangeTracking.ByteRange> ranges, int blockSize) {
    BitSet blocks = new BitSet();
    for (ChangeTracking.ByteRange range : ranges) {
      blocks.set(Math.toIntExact(range.offset() / blockSize),
          Math.toIntExact((range.end() - 1) / blockSize) + 1);
    }
    return blocks;
  }
}
