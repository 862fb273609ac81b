package io.failback.common.nbd;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Extents a server described, kept by offset, for an export that does not change while it is
 * read. Bounded: past {@link #LIMIT} extents (a badly fragmented disk) those at the lowest
 * offsets, which lanes moving forward are done with, are dropped and asked for again if needed.
 *
 * <p>Threading: thread-safe; the lanes of a disk share one.
 */
final class KnownExtents {
  static final int LIMIT = 65_536;

  private final TreeMap<Long, NbdExtent> byOffset = new TreeMap<>();

  /** The kept extent that covers {@code position}, or null. */
  synchronized NbdExtent covering(long position) {
    Map.Entry<Long, NbdExtent> floor = byOffset.floorEntry(position);
    return floor != null && floor.getValue().end() > position ? floor.getValue() : null;
  }

  /** Keeps {@code extents} (one reply's, contiguous). */
  synchronized void add(List<NbdExtent> extents) {
    for (NbdExtent extent : extents) {
      if (extent.length() > 0) {
        byOffset.put(extent.offset(), extent);
      }
    }
    while (byOffset.size() > LIMIT) {
      byOffset.pollFirstEntry();
    }
  }
}
