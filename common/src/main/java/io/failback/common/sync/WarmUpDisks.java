package io.failback.common.sync;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The two disks of a warm-up session: synthetic blocks the controller sends, and a scratch
 * target on the agent that holds a matching pattern and keeps nothing written to it.
 *
 * <p>Why: a process that never ran the transfer path compiles it while it runs (the JIT: a third
 * of a cold 1 GiB full download's time here). A warm-up session runs that path, over the real
 * link, while the cloud VM shuts down, when both processes would otherwise wait. The pattern
 * sends every kind of block the real session meets, so that what the JIT compiles from the
 * warm-up's profile is not thrown away at the first block of another kind: by block index
 * modulo 4, a block the target holds as zeros (sent, written), one it holds already (left
 * unwritten), a zero block on both sides, and one the target holds other bytes of.
 *
 * <p>Both disks compute their bytes from the block index; neither keeps any.
 */
public final class WarmUpDisks {
  /** Largest warm-up disk an agent takes. */
  public static final long MAX_SIZE = 4L << 30;

  private static final long SOURCE_SEED = 0x5eed_0f_b10c_0001L;
  private static final long OTHER_SEED = 0x5eed_0f_b10c_0002L;
  private static final int SECTOR = 512;
  private static final byte[] ZEROS = new byte[4096];

  private WarmUpDisks() {}

  /** The controller's synthetic source disk of {@code size} bytes in blocks of {@code block}. */
  public static BlockDevice source(long size, int block) {
    return new PatternDisk(size, block, false);
  }

  /** The agent's scratch target: reads the pattern, discards every write. */
  public static BlockDevice scratchTarget(long size, int block) {
    return new PatternDisk(size, block, true);
  }

  /** What block {@code index} holds on the source (0) or the target (1): 0 for zeros. */
  static long seed(long index, boolean target) {
    int kind = (int) (index & 3);
    if (kind == 2 || (target && kind == 0)) {
      return 0;
    }
    return (target && kind == 3 ? OTHER_SEED : SOURCE_SEED) ^ (index * 0x9E37_79B9_7F4A_7C15L);
  }

  private static final class PatternDisk implements BlockDevice {
    private final long size;
    private final int block;
    private final boolean target;

    PatternDisk(long size, int block, boolean target) {
      if (size <= 0 || size % SECTOR != 0 || block < SECTOR || block % SECTOR != 0) {
        throw new IllegalArgumentException("a warm-up disk of " + size + " bytes in blocks of "
            + block + " bytes: both must be positive multiples of " + SECTOR);
      }
      this.size = size;
      this.block = block;
      this.target = target;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public int logicalSectorSize() {
      return SECTOR;
    }

    @Override
    public boolean writable() {
      return target;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
      check(offset, dst.remaining());
      while (dst.hasRemaining()) {
        long index = offset / block;
        int within = (int) (offset % block);
        int length = Math.min(dst.remaining(), block - within);
        fill(index, within, dst, length);
        offset += length;
      }
    }

    /** Puts bytes [within, within + length) of block {@code index} into {@code dst}. */
    private void fill(long index, int within, ByteBuffer dst, int length) {
      long seed = seed(index, target);
      if (seed == 0) {
        for (int left = length; left > 0; left -= ZEROS.length) {
          dst.put(ZEROS, 0, Math.min(left, ZEROS.length));
        }
        return;
      }
      SplittableRandom random = new SplittableRandom(seed);
      for (int skip = 0; skip < within / Long.BYTES; skip++) {
        random.nextLong();
      }
      ByteOrder order = dst.order();
      dst.order(ByteOrder.LITTLE_ENDIAN);
      // Block sizes and sector-aligned offsets are multiples of 8: whole longs only.
      for (int i = 0; i < length / Long.BYTES; i++) {
        dst.putLong(random.nextLong());
      }
      dst.order(order);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
      writable(offset, src.remaining());
      src.position(src.limit());
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
      writable(offset, length);
    }

    @Override
    public boolean isKnownZero(long offset, long length) {
      return false;
    }

    @Override
    public void flush() {}

    /** A FULL session then compares every block with what this disk holds, as onto a VM's. */
    @Override
    public boolean preservesOverwrites() {
      return target;
    }

    @Override
    public void close() {}

    private void writable(long offset, long length) throws IOException {
      if (!target) {
        throw new IOException("the warm-up source disk is read-only");
      }
      check(offset, length);
    }

    private void check(long offset, long length) {
      if (offset < 0 || length < 0 || offset % SECTOR != 0 || length % SECTOR != 0
          || offset + length > size) {
        throw new IllegalArgumentException("range [" + offset + ", +" + length + ") is not"
            + " sector-aligned within the warm-up disk of " + size + " bytes");
      }
    }
  }
}
