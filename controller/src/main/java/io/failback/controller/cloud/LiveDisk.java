package io.failback.controller.cloud;

import static io.failback.controller.cloud.ChunkStore.CHUNK;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A cloud VM's disk as its guest and replication write it: the copy-on-write tracking layer that
 * preserves a chunk's old bytes into every snapshot lacking them before the first write to it.
 *
 * <p>Threading: callers hold the VM's barrier read lock for every call except {@link #attach}
 * and {@link #detach}, which need its write lock, so the set of snapshots cannot change while a
 * write or a snapshot read is under way. Each chunk's preserve-then-write, and each snapshot read
 * of a chunk from the live disk, happens under that chunk's striped lock: a snapshot read never
 * sees a chunk that is written but not yet preserved.
 */
final class LiveDisk {
  private static final int STRIPES = 256;

  private final BlockDevice device;
  private final ReadWriteLock[] stripes = new ReadWriteLock[STRIPES];
  private volatile List<ChunkStore> trackers = List.of();

  LiveDisk(BlockDevice device) {
    this.device = device;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantReadWriteLock();
    }
  }

  BlockDevice device() {
    return device;
  }

  /** Starts preserving into {@code store}; the caller holds the barrier write lock. */
  void attach(ChunkStore store) {
    List<ChunkStore> next = new ArrayList<>(trackers);
    next.add(store);
    trackers = List.copyOf(next);
  }

  /** Stops preserving into {@code store}; the caller holds the barrier write lock. */
  void detach(ChunkStore store) {
    List<ChunkStore> next = new ArrayList<>(trackers);
    next.remove(store);
    trackers = List.copyOf(next);
  }

  /** Writes {@code src} (position to limit) at {@code offset}, preserving first where needed. */
  void write(long offset, ByteBuffer src) throws IOException {
    checkRange(offset, src.remaining());
    int start = src.position();
    forEachChunk(
        offset,
        src.remaining(),
        (position, length) -> {
          int from = start + (int) (position - offset);
          device.write(position, src.duplicate().limit(from + length).position(from));
        });
    src.position(src.limit());
  }

  /** Makes a range read as zeros, preserving first where needed. */
  void writeZeroes(long offset, long length) throws IOException {
    checkRange(offset, length);
    forEachChunk(offset, length, (position, part) -> device.writeZeroes(position, part));
  }

  /** Reads a chunk's part for a snapshot: preserved bytes when it has them, else live ones. */
  void readForSnapshot(ChunkStore store, long position, ByteBuffer part) throws IOException {
    long chunk = position / CHUNK;
    Lock lock = stripe(chunk).readLock();
    lock.lock();
    try {
      if (!store.readPreserved(chunk, (int) (position % CHUNK), part)) {
        device.read(position, part);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Whether a chunk's part reads as zeros in a snapshot, as far as is known without reading. */
  boolean knownZeroForSnapshot(ChunkStore store, long position, long length) throws IOException {
    long chunk = position / CHUNK;
    Lock lock = stripe(chunk).readLock();
    lock.lock();
    try {
      if (store.changed(chunk)) {
        return store.preservedZero(chunk);
      }
      return device.isKnownZero(position, length);
    } finally {
      lock.unlock();
    }
  }

  private interface Piece {
    void write(long position, int length) throws IOException;
  }

  private void forEachChunk(long offset, long length, Piece piece) throws IOException {
    List<ChunkStore> active = trackers;
    for (long position = offset; position < offset + length; ) {
      long chunk = position / CHUNK;
      int part = (int) Math.min(offset + length - position, (chunk + 1) * CHUNK - position);
      if (allChanged(active, chunk)) {
        // Every snapshot reads this chunk from its own store: no snapshot read can race this.
        piece.write(position, part);
      } else {
        Lock lock = stripe(chunk).writeLock();
        lock.lock();
        try {
          preserve(active, chunk);
          piece.write(position, part);
        } finally {
          lock.unlock();
        }
      }
      position += part;
    }
  }

  private static boolean allChanged(List<ChunkStore> active, long chunk) {
    for (ChunkStore store : active) {
      if (!store.changed(chunk)) {
        return false;
      }
    }
    return true;
  }

  /** Copies the chunk's current bytes into every snapshot that lacks them (read once). */
  private void preserve(List<ChunkStore> active, long chunk) throws IOException {
    long start = chunk * CHUNK;
    int length = (int) Math.min(CHUNK, device.size() - start);
    ByteBuffer bytes = null;
    boolean read = false;
    for (ChunkStore store : active) {
      if (store.changed(chunk)) {
        continue;
      }
      if (!read && store.keepsBytes()) {
        bytes = currentBytes(start, length);
        read = true;
      }
      store.preserve(chunk, bytes);
    }
  }

  /** The chunk's bytes, or null when they are all zeros (stored as a mark, not as bytes). */
  private ByteBuffer currentBytes(long start, int length) throws IOException {
    if (device.isKnownZero(start, length)) {
      return null;
    }
    ByteBuffer bytes = ByteBuffer.allocate(length);
    device.read(start, bytes);
    bytes.flip();
    for (int i = 0; i < length; i += Long.BYTES) { // length is a multiple of the sector size
      if (bytes.getLong(i) != 0) {
        return bytes;
      }
    }
    return null;
  }

  private ReadWriteLock stripe(long chunk) {
    return stripes[(int) Math.floorMod(chunk, (long) STRIPES)];
  }

  /** Rejects unaligned or out-of-range requests, per the {@link BlockDevice} contract. */
  void checkRange(long offset, long length) {
    int sector = device.logicalSectorSize();
    if (offset % sector != 0 || length % sector != 0) {
      throw new IllegalArgumentException(
          String.format(
              "offset %d and length %d must be multiples of the %d-byte sector size",
              offset, length, sector));
    }
    if (offset < 0 || length < 0 || offset > device.size() || length > device.size() - offset) {
      throw new IllegalArgumentException(
          String.format(
              "range [%d, %d + %d) lies outside the disk of %d bytes",
              offset, offset, length, device.size()));
    }
  }
}
