package io.failback.common.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Allocates VHDX payload blocks at the 1 MiB-aligned end of the file, in the order that keeps the
 * file crash consistent: the whole block is written and made durable before the BAT entry that
 * points at it.
 *
 * <p>A crash between the two leaves a block that no entry references: leaked space, never a BAT
 * entry pointing at unwritten bytes. Threading: the end of the file is reserved atomically, so
 * blocks allocated at once by several threads never overlap; changes to one block's entry are
 * serialized by {@link #lock}.
 */
final class VhdxAllocator {
  /** Runs after a new block's data is durable and before its BAT entry is written. */
  interface Hook {
    void run(long block, long fileOffset) throws IOException;
  }

  /** Enough stripes that writers of different blocks rarely wait for each other. */
  private static final int STRIPES = 64;

  private final FileChannel channel;
  private final VhdxBat bat;
  private final int blockSize;
  private final AtomicLong end;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
  private volatile Hook beforeBatUpdate = (block, fileOffset) -> {};

  VhdxAllocator(FileChannel channel, VhdxBat bat, int blockSize) throws IOException {
    this.channel = channel;
    this.bat = bat;
    this.blockSize = blockSize;
    // Every block the BAT references lies inside the file (checked when loading), so the
    // space after its end is free.
    this.end = new AtomicLong(VhdxFormat.ceilDiv(channel.size(), VhdxFormat.MIB) * VhdxFormat.MIB);
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
  }

  /** The lock to hold while reading and then changing the BAT entry of {@code block}. */
  ReentrantLock lock(long block) {
    return locks[(int) (block % STRIPES)];
  }

  /** For crash tests: code that runs between the durable data write and the BAT update. */
  void beforeBatUpdate(Hook hook) {
    this.beforeBatUpdate = hook;
  }

  /**
   * Allocates {@code block}, writes {@code src} at {@code inBlock} and zeros over the rest of it,
   * makes that durable, then points the BAT at it; the caller holds {@link #lock}.
   */
  void allocate(long block, int inBlock, ByteBuffer src) throws IOException {
    // Blocks are whole MiBs, so every reservation keeps the end 1 MiB aligned.
    long offset = end.getAndAdd(blockSize);
    int length = src.remaining();
    // Zeros are written, not assumed: the block must never expose bytes left from before.
    DeviceIo.writeZeros(channel, offset, inBlock);
    DeviceIo.writeFully(channel, src, offset + inBlock);
    DeviceIo.writeZeros(channel, offset + inBlock + length, blockSize - inBlock - length);
    channel.force(true);
    beforeBatUpdate.run(block, offset);
    bat.update(block, VhdxBat.fullyPresent(offset));
  }
}
