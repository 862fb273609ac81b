package io.failback.controller.cloud;

import io.failback.common.disk.ReopeningFileChannel;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.CRC32C;

/**
 * What one snapshot preserved of one disk: the pre-snapshot bytes of every 64 KiB chunk written
 * since, appended to a store file, and the bitmap of those chunks.
 *
 * <p>Threading: {@link #preserve} and {@link #readPreserved} of a chunk are called under that
 * chunk's lock in {@link LiveDisk}, which guards its index entry; the bitmap is atomic so writers
 * may test it without the lock. {@link #persist} runs while no writer is active.
 */
final class ChunkStore {
  static final int CHUNK = 64 * 1024;

  /** Index entries that are not slots in the store file. */
  private static final int NONE = -1;

  private static final int ZERO = -2;
  /** Written since, bytes not kept: a tracking point's entry. */
  private static final int TRACKED = -3;
  /** Identifies a chunk map file (and its layout version). */
  private static final long MAGIC = 0x4642434b4d415031L;

  private static final int HEADER = 20;

  private final Path mapFile;
  private final FileChannel store;
  private final long diskSize;
  private final int[] index;
  private final AtomicLongArray changed;
  private final AtomicInteger nextSlot;
  private final CleanMarker marker;
  /** False for a tracking point's store: it records which chunks were written, not their bytes. */
  private final boolean keepsBytes;

  private ChunkStore(Path storeFile, Path mapFile, long diskSize, int[] index,
      CleanMarker marker, boolean create, boolean keepsBytes) throws IOException {
    this.mapFile = mapFile;
    this.diskSize = diskSize;
    this.index = index;
    this.marker = marker;
    this.keepsBytes = keepsBytes;
    this.changed = new AtomicLongArray((index.length + 63) / 64);
    int slots = 0;
    for (int chunk = 0; chunk < index.length; chunk++) {
      if (index[chunk] != NONE) {
        changed.set(chunk >>> 6, changed.get(chunk >>> 6) | 1L << chunk);
        slots = Math.max(slots, index[chunk] + 1);
      }
    }
    this.nextSlot = new AtomicInteger(slots);
    this.store =
        create
            ? ReopeningFileChannel.open(
                storeFile,
                StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE,
                StandardOpenOption.SPARSE)
            : ReopeningFileChannel.open(
                storeFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  /**
   * A new, empty store for a disk of {@code diskSize} bytes.
   *
   * @param keepsBytes false for a tracking point's, which keeps no bytes
   */
  static ChunkStore create(Path storeFile, Path mapFile, long diskSize, CleanMarker marker,
      boolean keepsBytes) throws IOException {
    int[] index = new int[chunkCount(diskSize)];
    Arrays.fill(index, NONE);
    return new ChunkStore(storeFile, mapFile, diskSize, index, marker, true, keepsBytes);
  }

  /** The store as last {@link #persist persisted}; the caller has checked the clean marker. */
  static ChunkStore load(Path storeFile, Path mapFile, long diskSize, CleanMarker marker,
      boolean keepsBytes) throws IOException {
    ByteBuffer map = ByteBuffer.wrap(Files.readAllBytes(mapFile));
    int chunks = chunkCount(diskSize);
    if (map.remaining() != HEADER + 4 * chunks + 4
        || map.getLong(0) != MAGIC
        || map.getInt(16) != chunks) {
      throw new IOException(mapFile + ": not a chunk map for a disk of " + diskSize + " bytes");
    }
    CRC32C crc = new CRC32C();
    crc.update(map.duplicate().limit(map.limit() - 4));
    if ((int) crc.getValue() != map.getInt(map.limit() - 4) || map.getLong(8) != diskSize) {
      throw new IOException(mapFile + ": chunk map is damaged (checksum mismatch)");
    }
    int[] index = new int[chunks];
    map.position(HEADER).asIntBuffer().get(index);
    return new ChunkStore(storeFile, mapFile, diskSize, index, marker, false, keepsBytes);
  }

  static int chunkCount(long diskSize) {
    return Math.toIntExact((diskSize + CHUNK - 1) / CHUNK);
  }

  int chunkCount() {
    return index.length;
  }

  long diskSize() {
    return diskSize;
  }

  /** Whether {@link #preserve} needs the chunk's bytes (false for a tracking point's store). */
  boolean keepsBytes() {
    return keepsBytes;
  }

  /** Whether the chunk was written since the snapshot (so its old bytes are preserved here). */
  boolean changed(long chunk) {
    return (changed.get((int) (chunk >>> 6)) & 1L << chunk) != 0;
  }

  /**
   * Keeps {@code bytes}, the chunk's current content, or notes that it reads as zeros when
   * {@code bytes} is null; the chunk then counts as changed.
   */
  void preserve(long chunk, ByteBuffer bytes) throws IOException {
    int at = (int) chunk;
    if (index[at] != NONE) {
      return;
    }
    marker.markDirty(); // before the tracking state moves on from what was persisted
    int slot = keepsBytes ? ZERO : TRACKED;
    if (keepsBytes && bytes != null) {
      slot = nextSlot.getAndIncrement();
      ByteBuffer src = bytes.duplicate();
      for (long position = (long) slot * CHUNK; src.hasRemaining(); ) {
        position += store.write(src, position);
      }
    }
    index[at] = slot;
    // Set last: a writer that sees the bit skips the lock, so the bytes must be in place.
    changed.getAndUpdate(at >>> 6, word -> word | 1L << at);
  }

  /**
   * Fills {@code dst} with the preserved bytes at {@code inChunk} of the chunk, or returns false
   * (reading nothing) when the chunk is unchanged and the live disk holds its bytes.
   */
  boolean readPreserved(long chunk, int inChunk, ByteBuffer dst) throws IOException {
    int slot = index[(int) chunk];
    if (slot == NONE) {
      return false;
    }
    if (slot == TRACKED) {
      throw new IOException("a tracking point keeps no bytes of the chunks written since");
    }
    if (slot == ZERO) {
      while (dst.hasRemaining()) {
        dst.put((byte) 0);
      }
      return true;
    }
    for (long position = (long) slot * CHUNK + inChunk; dst.hasRemaining(); ) {
      int n = store.read(dst, position);
      if (n < 0) {
        throw new EOFException("snapshot store ended at " + position + " (truncated?)");
      }
      position += n;
    }
    return true;
  }

  /** Whether the chunk's preserved bytes are known to be zeros (false when not preserved). */
  boolean preservedZero(long chunk) {
    return index[(int) chunk] == ZERO;
  }

  /** Makes the preserved bytes durable, then the map that points into them. */
  void persist() throws IOException {
    store.force(true);
    ByteBuffer map = ByteBuffer.allocate(HEADER + 4 * index.length + 4);
    map.putLong(MAGIC).putLong(diskSize).putInt(index.length);
    map.asIntBuffer().put(index);
    map.position(map.limit() - 4);
    CRC32C crc = new CRC32C();
    crc.update(map.duplicate().flip());
    map.putInt((int) crc.getValue()).flip();
    AtomicFiles.write(mapFile, map);
  }

  void close() throws IOException {
    store.close();
  }
}
