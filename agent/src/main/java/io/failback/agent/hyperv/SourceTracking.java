package io.failback.agent.hyperv;

import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.io.IOException;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The change tracking of one sync session with this host's disk as the source: the blocks a
 * TRACKED session sends, and the new reference point the next session diffs from.
 *
 * @param changed blocks written since the previous reference point; null unless TRACKED
 * @param newReference the reference point created before the session's first read; empty when
 *     the session records no digest set or the host could not create one
 */
public record SourceTracking(BitSet changed, String newReference) {
  private static final Logger log = Logger.getLogger(SourceTracking.class.getName());
  private static final SourceTracking NONE = new SourceTracking(null, "");

  /** The host does not know the reference point a TRACKED session names. */
  public static final class ReferenceUnknownException extends IOException {
    ReferenceUnknownException(String message) {
      super(message);
    }
  }

  /**
   * Prepares a source session; call it before the disk is read.
   *
   * <p>Order matters: the changed set is taken first and the new reference point after it, and
   * both before the first read, so a block the guest writes at any time during the session is
   * either read by it or reported by the next reference point, and mostly both: never neither.
   *
   * @param previous the reference point a TRACKED session diffs from
   * @throws ReferenceUnknownException for a TRACKED session whose reference the host does not
   *     know; nothing was created or read
   */
  public static SourceTracking prepare(Optional<ChangeTracking> tracking, String vmId,
      String diskPath, SyncParameters parameters, String previous) throws IOException {
    if (parameters.getDigestSet().isEmpty()) {
      return NONE; // nothing recorded now, so no later TRACKED session can build on it
    }
    BitSet changed = null;
    if (parameters.getMode() == SyncMode.TRACKED) {
      Optional<List<ChangeTracking.ByteRange>> ranges = tracking.isEmpty() ? Optional.empty()
          : tracking.get().changedSince(diskPath, previous, parameters.getDiskSize());
      if (ranges.isEmpty()) {
        throw unknown(previous, diskPath);
      }
      changed = blocks(ranges.get(), parameters.getBlockSize());
    }
    String reference = "";
    if (tracking.isPresent()) {
      try {
        reference = tracking.get().createReferencePoint(vmId, List.of(diskPath))
            .getOrDefault(diskPath, "");
      } catch (IOException e) {
        // The sync is still right; the next one of this disk compares checksums.
        log.warning("no change-tracking reference point for " + diskPath + ": "
            + e.getMessage());
      }
    }
    return new SourceTracking(changed, reference);
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
    return new SourceTracking(blocks(ranges.get(), parameters.getBlockSize()), "");
  }

  /**
   * The reference point after a target session wrote the disk and recorded its digest set;
   * empty when the session recorded none, the host has no tracking, or making one failed (the
   * next sync of the disk then compares checksums).
   */
  public static String afterTarget(Optional<ChangeTracking> tracking, String vmId,
      String diskPath, SyncParameters parameters) {
    if (parameters.getDigestSet().isEmpty() || tracking.isEmpty()) {
      return "";
    }
    try {
      return tracking.get().createReferencePoint(vmId, List.of(diskPath))
          .getOrDefault(diskPath, "");
    } catch (IOException e) {
      log.warning("no change-tracking reference point for " + diskPath + ": "
          + e.getMessage());
      return "";
    }
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
