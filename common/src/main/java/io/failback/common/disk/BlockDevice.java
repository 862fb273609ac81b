package io.failback.common.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A virtual disk as a flat array of bytes: raw image files, raw block devices, VHDX.
 *
 * <p>Offsets and lengths passed in must be multiples of {@link #logicalSectorSize()} and lie
 * within {@link #size()}, except that the last read or write may end exactly at {@link #size()}
 * (the size is itself a multiple of the sector size). Violations throw
 * {@link IllegalArgumentException} before anything is read or written.
 *
 * <p>Threading: positional reads and writes may be called concurrently from several threads
 * on disjoint ranges; {@link #flush()} makes every write that returned before it durable,
 * including metadata such as VHDX allocation tables.
 */
public interface BlockDevice extends Closeable {
  /** Virtual size in bytes, as the guest sees the disk. */
  long size();

  /** Logical sector size in bytes (512 or 4096). */
  int logicalSectorSize();

  /** Whether writes are allowed; read-only devices throw {@link IOException} on write. */
  boolean writable();

  /** Fills {@code dst} from its position to its limit with the bytes at {@code offset}. */
  void read(long offset, ByteBuffer dst) throws IOException;

  /**
   * Like {@link #read}, but from the storage itself rather than the operating system's cache
   * where the file system allows it (O_DIRECT): how the proof of a sync's end state reads back.
   *
   * @return whether the bytes came around the cache; false for a device that cannot
   */
  default boolean readUncached(long offset, ByteBuffer dst) throws IOException {
    read(offset, dst);
    return false;
  }

  /** Writes {@code src} from its position to its limit at {@code offset}. */
  void write(long offset, ByteBuffer src) throws IOException;

  /**
   * As {@link #write}, for the few scattered blocks a checksum pass finds different, whose
   * pages this side's scan has just read: a device whose whole-block writes go around the page
   * cache writes these through it, where overwriting a cached page is a memory copy and not a
   * direct write of its own.
   */
  default void writeThroughCache(long offset, ByteBuffer src) throws IOException {
    write(offset, src);
  }

  /**
   * Makes {@code [offset, offset + length)} read as zeros, keeping it unallocated where the
   * format allows (holes in sparse files, ZERO or NOT_PRESENT blocks in VHDX).
   */
  void writeZeroes(long offset, long length) throws IOException;

  /**
   * Whether {@code [offset, offset + length)} is known to read as zeros without reading it
   * (unallocated in the format's own metadata, or a hole of a sparse raw file on Linux). False
   * means "unknown", not "non-zero".
   */
  boolean isKnownZero(long offset, long length) throws IOException;

  /** Makes all completed writes durable: data first, then the metadata that points at it. */
  void flush() throws IOException;

  /**
   * Says that {@code [offsets[i], offsets[i] + lengths[i])} are about to be overwritten. A
   * device that keeps an undo journal preserves what they hold now, in one durable step rather
   * than one per write; every other device ignores it.
   */
  default void aboutToOverwrite(long[] offsets, long[] lengths) throws IOException {}

  /**
   * Whether this device preserves what it overwrites ({@link #aboutToOverwrite} keeps an undo
   * journal): a FULL sync then writes, and so preserves, only the blocks that differ from what
   * the device holds.
   */
  default boolean preservesOverwrites() {
    return false;
  }
}
