package io.failback.common.disk;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;

/** Range checks and whole-buffer positional I/O shared by the block devices. */
final class DeviceIo {
  /** Zeroing and zero detection work in chunks of this size to bound memory. */
  static final int CHUNK = 1 << 20;

  /** File systems allocate in 4 KiB units: the unit in which holes are kept. */
  static final int PAGE = 4096;

  /** Never written into: a source of zeros for channel writes. */
  private static final byte[] ZEROS = new byte[CHUNK];

  private DeviceIo() {}

  /** Rejects a range that is unaligned or not inside the device, per {@link BlockDevice}. */
  static void checkRange(BlockDevice device, long offset, long length) {
    int sector = device.logicalSectorSize();
    checkArgument(
        offset % sector == 0 && length % sector == 0,
        "offset %s and length %s must be multiples of the %s-byte logical sector size",
        offset,
        length,
        sector);
    checkArgument(
        offset >= 0 && length >= 0 && offset <= device.size() && length <= device.size() - offset,
        "range [%s, %s + %s) lies outside the disk of %s bytes",
        offset,
        offset,
        length,
        device.size());
  }

  /** Refuses writes to a device opened read-only, before anything is written. */
  static void checkWritable(BlockDevice device, Path path) throws IOException {
    if (!device.writable()) {
      throw new IOException(path + ": opened read-only; cannot write");
    }
  }

  /** Reads until {@code dst} is full; the file ending first means it was truncated under us. */
  static void readFully(FileChannel channel, ByteBuffer dst, long position, Path path)
      throws IOException {
    long at = position;
    while (dst.hasRemaining()) {
      int n = channel.read(dst, at);
      if (n < 0) {
        throw new EOFException(
            path + ": unexpected end of file at offset " + at + " (file truncated?)");
      }
      at += n;
    }
  }

  /** Writes all of {@code src}. */
  static void writeFully(FileChannel channel, ByteBuffer src, long position) throws IOException {
    long at = position;
    while (src.hasRemaining()) {
      at += channel.write(src, at);
    }
  }

  /** Writes {@code length} zero bytes at {@code position}. */
  static void writeZeros(FileChannel channel, long position, long length) throws IOException {
    for (long done = 0; done < length; ) {
      int n = (int) Math.min(CHUNK, length - done);
      writeFully(channel, ByteBuffer.wrap(ZEROS, 0, n), position + done);
      done += n;
    }
  }

  /**
   * Makes {@code [position, position + length)} of a file read as zeros by writing zeros only over
   * the 4 KiB pages that are not zero already, so holes stay holes.
   *
   * <p>Java cannot punch holes (no fallocate or FSCTL_SET_ZERO_DATA), so reading first is the only
   * way to zero a range without allocating the parts of it that are sparse.
   */
  static void zeroNonZeroPages(FileChannel channel, long position, long length, Path path)
      throws IOException {
    byte[] chunk = new byte[(int) Math.min(CHUNK, length)];
    for (long done = 0; done < length; ) {
      int n = (int) Math.min(chunk.length, length - done);
      long at = position + done;
      readFully(channel, ByteBuffer.wrap(chunk, 0, n), at, path);
      int runStart = -1;
      for (int i = 0; i < n; ) {
        // Page boundaries follow the file's own 4 KiB grid, not the start of the range.
        int pageEnd = Math.min(n, i + PAGE - Math.floorMod(at + i, PAGE));
        boolean zero = isZero(chunk, i, pageEnd);
        if (!zero && runStart < 0) {
          runStart = i;
        } else if (zero && runStart >= 0) {
          writeZeros(channel, at + runStart, i - runStart);
          runStart = -1;
        }
        i = pageEnd;
      }
      if (runStart >= 0) {
        writeZeros(channel, at + runStart, n - runStart);
      }
      done += n;
    }
  }

  /** Whether {@code bytes[from, to)} are all zero. */
  static boolean isZero(byte[] bytes, int from, int to) {
    return Arrays.mismatch(bytes, from, to, ZEROS, 0, to - from) < 0;
  }

  /** Fills {@code dst} from its position to its limit with zeros and advances its position. */
  static void fillZeros(ByteBuffer dst) {
    while (dst.hasRemaining()) {
      dst.put(ZEROS, 0, Math.min(ZEROS.length, dst.remaining()));
    }
  }

  /** A view of {@code length} bytes of {@code buffer} starting at its position. */
  static ByteBuffer slice(ByteBuffer buffer, int length) {
    return buffer.duplicate().limit(buffer.position() + length);
  }
}
