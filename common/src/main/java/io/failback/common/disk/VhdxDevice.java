package io.failback.common.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed or dynamic VHDX file (MS-VHDX), read and written in place.
 *
 * <p>Ordering: the header update ({@link VhdxHeaderUpdate}) is durable before the first change; a
 * new payload block is durable before the BAT entry that points at it ({@link VhdxAllocator}); BAT
 * changes are durable when the call that makes them returns. Overwrites of present blocks are
 * durable after {@link #flush()}.
 *
 * <p>Threading: disjoint ranges may be read and written concurrently, including ranges that share a
 * block that is not allocated yet.
 */
public final class VhdxDevice implements BlockDevice {
  private final Path path;
  private final FileChannel channel;
  private final VhdxInfo info;
  private final boolean writable;
  private final VhdxBat bat;
  private final VhdxAllocator allocator;
  private final VhdxHeaderUpdate headers;
  private final long blockSize;
  private final DirectIo direct;

  private VhdxDevice(
      Path path, FileChannel channel, VhdxReader.Layout layout, boolean writable, VhdxBat bat)
      throws IOException {
    this.path = path;
    this.channel = channel;
    this.info = layout.info();
    this.writable = writable;
    this.bat = bat;
    this.blockSize = info.blockSize();
    this.allocator = new VhdxAllocator(channel, bat, info.blockSize());
    this.headers = new VhdxHeaderUpdate(channel, layout);
    this.direct = new DirectIo(path, false);
  }

  /**
   * Opens an existing VHDX file; nothing is written until the first write.
   *
   * @throws DiskFormatException if the file is not a VHDX file, is corrupt, is a differencing disk,
   *     or has a log that must be replayed first
   */
  public static VhdxDevice open(Path path, boolean writable) throws IOException {
    FileChannel channel =
        writable
            ? ReopeningFileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
            : ReopeningFileChannel.open(path, StandardOpenOption.READ);
    try {
      VhdxReader.Layout layout = VhdxReader.read(path, channel);
      checkSupported(path, layout.info());
      return new VhdxDevice(path, channel, layout, writable, VhdxBat.load(path, channel, layout));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static void checkSupported(Path path, VhdxInfo info) throws DiskFormatException {
    if (info.type() == VhdxType.DIFFERENCING) {
      throw new DiskFormatException(
          path,
          "is a differencing disk (a checkpoint's .avhdx or a child of a parent disk): its data"
              + " is split across a chain of files; merge the checkpoints first (delete the"
              + " VM's checkpoints in Hyper-V, or Merge-VHD), then use the merged disk");
    }
    if (info.logNonEmpty()) {
      // Until the log is replayed the BAT and metadata read here may be stale.
      throw new DiskFormatException(
          path,
          String.format(
              "the VHDX log is not empty (the file was not closed cleanly) and replaying it is"
                  + " not supported: replay it with 'qemu-img check -r all %s' (or attach the"
                  + " disk once in Hyper-V), then retry",
              path));
    }
  }

  /** What the file's headers and metadata say about the disk. */
  public VhdxInfo info() {
    return info;
  }

  @Override
  public long size() {
    return info.virtualSize();
  }

  @Override
  public int logicalSectorSize() {
    return info.logicalSectorSize();
  }

  @Override
  public boolean writable() {
    return writable;
  }

  @Override
  public void read(long offset, ByteBuffer dst) throws IOException {
    read(offset, dst, false);
  }

  @Override
  public boolean readUncached(long offset, ByteBuffer dst) throws IOException {
    return read(offset, dst, true);
  }

  /** Returns whether every byte read from the file came around the cache. */
  private boolean read(long offset, ByteBuffer dst, boolean uncached) throws IOException {
    DeviceIo.checkRange(this, offset, dst.remaining());
    boolean around = uncached;
    long position = offset;
    while (dst.hasRemaining()) {
      long entry = bat.entry(position / blockSize);
      long fileOffset = VhdxBat.readsAsZero(entry) ? -1 : VhdxBat.fileOffset(entry);
      int length = runLength(position, dst.remaining(), fileOffset);
      ByteBuffer part = DeviceIo.slice(dst, length);
      long at = fileOffset + position % blockSize;
      if (fileOffset < 0) {
        DeviceIo.fillZeros(part);
      } else if (!(uncached && direct.read(part, at))) {
        DeviceIo.readFully(channel, part, at, path);
        around = false;
      }
      dst.position(dst.position() + length);
      position += length;
    }
    return around;
  }

  /**
   * Bytes from {@code position} that one read serves: the rest of its block, extended over the
   * following blocks while they read as zeros too or lie next in the file (fixed disks).
   */
  private int runLength(long position, int remaining, long fileOffset) {
    long length = Math.min(remaining, blockSize - position % blockSize);
    while (length < remaining) {
      long next = bat.entry((position + length) / blockSize);
      boolean continues =
          fileOffset < 0
              ? VhdxBat.readsAsZero(next)
              : !VhdxBat.readsAsZero(next)
                  && VhdxBat.fileOffset(next) == fileOffset + position % blockSize + length;
      if (!continues) {
        break;
      }
      length = Math.min(remaining, length + blockSize);
    }
    return (int) length;
  }

  @Override
  public void write(long offset, ByteBuffer src) throws IOException {
    DeviceIo.checkRange(this, offset, src.remaining());
    DeviceIo.checkWritable(this, path);
    headers.beforeFirstWrite();
    long position = offset;
    while (src.hasRemaining()) {
      int inBlock = (int) (position % blockSize);
      int length = (int) Math.min(src.remaining(), blockSize - inBlock);
      writeInBlock(position / blockSize, inBlock, DeviceIo.slice(src, length));
      src.position(src.position() + length);
      position += length;
    }
  }

  private void writeInBlock(long block, int inBlock, ByteBuffer part) throws IOException {
    long entry = bat.entry(block);
    if (!VhdxBat.readsAsZero(entry)) {
      // Present entries only ever point at durable data, so no lock is needed to use one.
      DeviceIo.writeFully(channel, part, VhdxBat.fileOffset(entry) + inBlock);
      return;
    }
    ReentrantLock lock = allocator.lock(block);
    lock.lock();
    try {
      entry = bat.entry(block); // another writer of this block may have allocated it meanwhile
      if (VhdxBat.readsAsZero(entry)) {
        // Also on a fixed disk whose blocks are ZERO (qemu's default fixed subformat): there is
        // nowhere else to put the data, and qemu allocates the same way.
        allocator.allocate(block, inBlock, part);
      } else {
        DeviceIo.writeFully(channel, part, VhdxBat.fileOffset(entry) + inBlock);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whole blocks of a dynamic disk become ZERO in the BAT (their space in the file is not reused);
   * the rest is zeroed in place where allocated. Fixed disks never change their BAT.
   */
  @Override
  public void writeZeroes(long offset, long length) throws IOException {
    DeviceIo.checkRange(this, offset, length);
    DeviceIo.checkWritable(this, path);
    headers.beforeFirstWrite();
    long end = offset + length;
    for (long position = offset; position < end; ) {
      long block = position / blockSize;
      long inBlock = position % blockSize;
      long partEnd = Math.min(end, (block + 1) * blockSize);
      // The last block may extend past the virtual size: covering up to the size is "whole".
      boolean whole = inBlock == 0 && partEnd == Math.min((block + 1) * blockSize, size());
      if (whole && info.type() != VhdxType.FIXED) {
        zeroBlock(block);
      } else {
        long entry = bat.entry(block);
        if (!VhdxBat.readsAsZero(entry)) {
          long at = VhdxBat.fileOffset(entry) + inBlock;
          DeviceIo.zeroNonZeroPages(channel, at, partEnd - position, path);
        }
      }
      position = partEnd;
    }
  }

  private void zeroBlock(long block) throws IOException {
    ReentrantLock lock = allocator.lock(block);
    lock.lock();
    try {
      if (!VhdxBat.readsAsZero(bat.entry(block))) {
        bat.update(block, VhdxBat.zero());
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean isKnownZero(long offset, long length) {
    DeviceIo.checkRange(this, offset, length);
    for (long position = offset; position < offset + length; ) {
      long block = position / blockSize;
      if (!VhdxBat.readsAsZero(bat.entry(block))) {
        return false;
      }
      position = (block + 1) * blockSize;
    }
    return true;
  }

  @Override
  public void flush() throws IOException {
    channel.force(true);
  }

  @Override
  public void close() throws IOException {
    try (DirectIo closing = direct) {
      channel.close();
    }
  }

  /** The allocation table, for tests. */
  VhdxBat bat() {
    return bat;
  }

  /** For crash tests: runs between a new block's durable data write and its BAT update. */
  void beforeBatUpdate(VhdxAllocator.Hook hook) {
    allocator.beforeBatUpdate(hook);
  }

  @Override
  public String toString() {
    return "VHDX " + info.type() + " " + path;
  }
}
