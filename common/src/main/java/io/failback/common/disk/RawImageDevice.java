package io.failback.common.disk;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A raw disk image: a (usually sparse) file or, on Linux, a block device under {@code /dev}.
 *
 * <p>Threading: positional {@link FileChannel} I/O only, so disjoint ranges may be read and written
 * from several threads at once. The size is fixed when the device is opened; nothing here ever
 * truncates or extends the file or device.
 */
public final class RawImageDevice implements BlockDevice {
  private static final Path SYS_CLASS_BLOCK = Path.of("/sys/class/block");

  private final Path path;
  private final FileChannel channel;
  private final long size;
  private final int sectorSize;
  private final boolean writable;
  private final boolean device;
  private final DirectIo direct;
  /** The file's holes; null for a block device, which has none. */
  private final FileHoles holes;
  /**
   * Writes to a file, one at a time: the file system serializes them anyway (ext4 holds the
   * inode's lock for a buffered write) and the kernel lets a waiting writer spin on that lock,
   * which burnt CPU the other end of a sync needs (profile: 472 ms of the agent's samples in
   * {@code rwsem_spin_on_owner} in one 2 GiB copy into a fresh file); a writer waiting here sleeps.
   */
  private final Lock writes = new ReentrantLock();

  private RawImageDevice(
      Path path, FileChannel channel, long size, int sectorSize, boolean writable, boolean device) {
    this.path = path;
    this.channel = channel;
    this.size = size;
    this.sectorSize = sectorSize;
    this.writable = writable;
    this.device = device;
    this.direct = new DirectIo(path, writable && !device);
    this.holes = device ? null : new FileHoles(path);
  }

  /** Opens a raw image or block device with 512-byte logical sectors. */
  public static RawImageDevice open(Path path, boolean writable) throws IOException {
    return open(path, writable, 512);
  }

  /**
   * Opens a raw image or block device whose guest sees {@code logicalSectorSize}-byte sectors.
   *
   * @throws DiskFormatException if the size is not a multiple of the sector size, or the size of a
   *     block device cannot be determined
   * @throws IllegalArgumentException if the sector size is not 512 or 4096
   */
  public static RawImageDevice open(Path path, boolean writable, int logicalSectorSize)
      throws IOException {
    checkArgument(
        VhdxFormat.isValidSectorSize(logicalSectorSize),
        "logical sector size must be 512 or 4096, got %s",
        logicalSectorSize);
    FileChannel channel =
        writable
            ? ReopeningFileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
            : ReopeningFileChannel.open(path, StandardOpenOption.READ);
    try {
      boolean device = channel.size() == 0 && isLinuxDevice(path);
      long size = device ? deviceSize(path) : channel.size();
      if (size % logicalSectorSize != 0) {
        throw new DiskFormatException(
            path,
            String.format(
                "size %d is not a multiple of the %d-byte logical sector size: not a raw disk"
                    + " image",
                size, logicalSectorSize));
      }
      return new RawImageDevice(path, channel, size, logicalSectorSize, writable, device);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** The size of a Linux block device, whose length reads as 0 through a channel. */
  private static long deviceSize(Path path) throws IOException {
    String name = path.toRealPath().getFileName().toString();
    long deviceSize = sysfsSize(SYS_CLASS_BLOCK, name, path);
    if (deviceSize <= 0) {
      throw new DiskFormatException(path, "block device reports size 0 (no medium attached?)");
    }
    return deviceSize;
  }

  static boolean isLinuxDevice(Path path) throws IOException {
    return System.getProperty("os.name").startsWith("Linux")
        && path.toRealPath().startsWith("/dev/");
  }

  /** {@code <sysClassBlock>/<name>/size}, which counts 512-byte units whatever the sectors. */
  static long sysfsSize(Path sysClassBlock, String name, Path path) throws IOException {
    Path sizeFile = sysClassBlock.resolve(name).resolve("size");
    try {
      String text = Files.readString(sizeFile, StandardCharsets.US_ASCII).trim();
      return Math.multiplyExact(Long.parseLong(text), 512L);
    } catch (NoSuchFileException e) {
      throw new DiskFormatException(
          path, "not a block device with a known size (" + sizeFile + " does not exist)");
    } catch (NumberFormatException | ArithmeticException e) {
      throw new DiskFormatException(path, "unreadable size in " + sizeFile + ": " + e.getMessage());
    }
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int logicalSectorSize() {
    return sectorSize;
  }

  @Override
  public boolean writable() {
    return writable;
  }

  @Override
  public void read(long offset, ByteBuffer dst) throws IOException {
    DeviceIo.checkRange(this, offset, dst.remaining());
    DeviceIo.readFully(channel, dst, offset, path);
  }

  @Override
  public boolean readUncached(long offset, ByteBuffer dst) throws IOException {
    DeviceIo.checkRange(this, offset, dst.remaining());
    if (direct.read(dst, offset)) {
      return true;
    }
    DeviceIo.readFully(channel, dst, offset, path);
    return false;
  }

  @Override
  public void write(long offset, ByteBuffer src) throws IOException {
    write(offset, src, true);
  }

  @Override
  public void writeThroughCache(long offset, ByteBuffer src) throws IOException {
    write(offset, src, false);
  }

  private void write(long offset, ByteBuffer src, boolean aroundCache) throws IOException {
    DeviceIo.checkRange(this, offset, src.remaining());
    DeviceIo.checkWritable(this, path);
    if (device) {
      // Measured on files only; a block device keeps its parallel writes.
      DeviceIo.writeFully(channel, src, offset);
      return;
    }
    // Whole blocks go around the page cache (DirectIo), side by side: a direct write waits for
    // the storage, and the file system locks what must be serialized, sleeping. A partial
    // block, or one asked to go through the cache, goes through it, one at a time.
    if (aroundCache && direct.write(src, offset)) {
      return;
    }
    writes.lock();
    try {
      DeviceIo.writeFully(channel, src, offset);
    } finally {
      writes.unlock();
    }
  }

  @Override
  public void writeZeroes(long offset, long length) throws IOException {
    DeviceIo.checkRange(this, offset, length);
    DeviceIo.checkWritable(this, path);
    // Bytes past the current end of the file are holes already (another process may have
    // shortened it; writing there would extend it, which a raw disk never does).
    long end = device ? offset + length : Math.min(offset + length, channel.size());
    if (holes == null) {
      if (end > offset) {
        DeviceIo.zeroNonZeroPages(channel, offset, end - offset, path);
      }
      return;
    }
    // Holes are zero already: only the parts holding data are read, and zeroed where not zero
    // (a full download into a fresh sparse file reads nothing here).
    for (long at = holes.nextData(offset, end); at < end; at = holes.nextData(at, end)) {
      long dataEnd = Math.max(at + 1, holes.nextHole(at, end));
      DeviceIo.zeroNonZeroPages(channel, at, dataEnd - at, path);
      at = dataEnd;
    }
  }

  /**
   * A range is known to be zero when the file system maps no data there (a hole of a sparse
   * file, {@link FileHoles}); a block device has no holes, so only an empty range is.
   */
  @Override
  public boolean isKnownZero(long offset, long length) {
    DeviceIo.checkRange(this, offset, length);
    return length == 0 || (holes != null && holes.isHole(offset, length));
  }

  @Override
  public void flush() throws IOException {
    channel.force(true);
  }

  @Override
  public void close() throws IOException {
    try (DirectIo closing = direct; FileHoles closingHoles = holes) {
      channel.close();
    }
  }

  @Override
  public String toString() {
    return "raw " + path;
  }
}
