package io.failback.common.disk;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes a file around the operating system's page cache (O_DIRECT).
 *
 * <p>Reads: what a proof reads back is what the storage holds, not what the kernel still keeps
 * of the last write. Writes: a disk copied onto a host does not pass through its page cache,
 * which would keep the host's memory full of a disk nobody reads and costs the kernel a page
 * fill per 4 KiB; where memory is fresh (a virtual machine whose hypervisor took freed pages
 * back) that fill was the largest CPU cost of a full download: 4.2 s of the agent's CPU for
 * 2 GiB, where direct writes took 0.2-0.4 s of system time (docs/BENCHMARKS.md).
 *
 * <p>Direct I/O wants the buffer, the offset and the length aligned to the file system's block
 * size: a read goes through an aligned buffer of its own covering the range, and the wanted
 * bytes are copied out; a write is taken only when its range is aligned (whole blocks), copied
 * into an aligned buffer. The kernel keeps direct and cached I/O to one file coherent (a direct
 * write first writes back and then drops cached pages of its range), and an fsync of the
 * device's own channel makes both durable: it syncs the file, whichever descriptor wrote. A
 * file system or JVM without direct I/O gets cached I/O, said once in the log. Like the
 * devices' own channel, this one is reopened when an interrupted lane closes it, so one lane's
 * interrupt cannot fail the others' I/O.
 */
final class DirectIo implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DirectIo.class);

  private static final ThreadLocal<ByteBuffer> BUFFERS = new ThreadLocal<>();

  private final Path path;
  private final boolean writable;
  private FileChannel channel;
  private int alignment;
  private boolean unsupported;

  DirectIo(Path path, boolean writable) {
    this.path = path;
    this.writable = writable;
  }

  /**
   * Fills {@code dst} with the file's bytes at {@code position}, read around the cache.
   *
   * @return false, reading nothing, when the file system does not do direct I/O
   */
  boolean read(ByteBuffer dst, long position) throws IOException {
    FileChannel direct = open();
    if (direct == null) {
      return false;
    }
    int length = dst.remaining();
    long start = position - Math.floorMod(position, (long) alignment);
    long end = position + length;
    int span = (int) (((end - start) + alignment - 1) / alignment * alignment);
    ByteBuffer aligned = buffer(span);
    long at = start;
    while (at < end) {
      int n = direct.read(aligned, at);
      if (n <= 0) {
        // A file whose size is not a multiple of the block ends in a short read: only bytes
        // that were asked for and are missing mean a truncated file.
        throw new EOFException(path + ": unexpected end of file at offset " + at
            + " reading around the cache (file truncated?)");
      }
      at += n;
    }
    aligned.flip().position((int) (position - start)).limit((int) (position - start) + length);
    dst.put(aligned);
    return true;
  }

  /**
   * Writes {@code src} at {@code position} around the cache when the range is whole blocks of
   * the file system, consuming it.
   *
   * @return false, writing nothing, when the range is not aligned or the file system does not
   *     do direct I/O: the caller writes through the cache
   */
  boolean write(ByteBuffer src, long position) throws IOException {
    int length = src.remaining();
    FileChannel direct = length == 0 || !writable ? null : open();
    if (direct == null || position % alignment != 0 || length % alignment != 0) {
      return false;
    }
    if (src.isDirect() && src.alignmentOffset(src.position(), alignment) == 0) {
      // Already where direct I/O can take it from (a lane writer's run of blocks).
      DeviceIo.writeFully(direct, src, position);
      return true;
    }
    ByteBuffer aligned = buffer(length);
    aligned.put(src).flip();
    DeviceIo.writeFully(direct, aligned, position);
    return true;
  }

  /**
   * An aligned buffer of {@code span} bytes, kept per thread: a direct buffer per read would
   * cost an allocation and a zeroing per block run, and free its memory only at a GC.
   */
  private ByteBuffer buffer(int span) {
    ByteBuffer kept = BUFFERS.get();
    if (kept == null || kept.capacity() < span || kept.alignmentOffset(0, alignment) != 0) {
      kept = ByteBuffer.allocateDirect(Math.max(span, 1 << 20) + alignment)
          .alignedSlice(alignment);
      BUFFERS.set(kept);
    }
    return kept.clear().limit(span);
  }

  private synchronized FileChannel open() throws IOException {
    if (channel != null || unsupported) {
      return channel;
    }
    try {
      alignment = (int) Math.max(DeviceIo.PAGE, Files.getFileStore(path).getBlockSize());
      channel = writable
          ? ReopeningFileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
              ExtendedOpenOption.DIRECT)
          : ReopeningFileChannel.open(path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
    } catch (UnsupportedOperationException | IOException e) {
      unsupported = true;
      log.warn(path + ": direct I/O unavailable here (" + e.getMessage() + "); read-backs"
          + (writable ? " and writes" : "") + " go through the page cache");
    }
    return channel;
  }

  @Override
  public synchronized void close() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }
}
