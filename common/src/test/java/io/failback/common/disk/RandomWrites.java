package io.failback.common.disk;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** A reproducible mix of writes and zeroings, applied identically to several devices. */
final class RandomWrites {
  private static final int SECTOR = 512;
  private static final int MAX_WRITE = 3 * DiskTesting.MIB;

  enum Kind {
    WRITE,
    ZERO_WHOLE_BLOCKS,
    ZERO_PART
  }

  /** One operation; a write's bytes come from {@code dataSeed}, so every device gets the same. */
  record Op(Kind kind, long offset, long length, long dataSeed) {
    void applyTo(BlockDevice device) throws IOException {
      if (kind == Kind.WRITE) {
        byte[] data = new byte[(int) length];
        Random random = new Random(dataSeed);
        random.nextBytes(data);
        // Some all-zero sectors inside data, as real disks have.
        for (int s = 0; s < data.length; s += SECTOR) {
          if (random.nextInt(8) == 0) {
            Arrays.fill(data, s, s + SECTOR, (byte) 0);
          }
        }
        DiskTesting.write(device, offset, data);
      } else {
        device.writeZeroes(offset, length);
      }
    }
  }

  private RandomWrites() {}

  /**
   * Plans {@code count} operations at sector-aligned offsets on a disk of {@code size} bytes:
   * writes up to 3 MiB that cross block boundaries, zeroing of whole blocks and of parts.
   */
  static List<Op> plan(long seed, int count, long size, int blockSize) {
    Random random = new Random(seed);
    List<Op> ops = new ArrayList<>();
    long sectors = size / SECTOR;
    for (int i = 0; i < count; i++) {
      int pick = random.nextInt(10);
      if (pick < 7) {
        long offset = random.nextLong(sectors) * SECTOR;
        long length = Math.min(size - offset, (1 + random.nextInt(MAX_WRITE / SECTOR)) * SECTOR);
        ops.add(new Op(Kind.WRITE, offset, length, random.nextLong()));
      } else if (pick < 9) {
        long blocks = VhdxFormat.ceilDiv(size, blockSize);
        long first = random.nextLong(blocks);
        long end = Math.min(size, (first + 1 + random.nextInt(2)) * blockSize);
        ops.add(new Op(Kind.ZERO_WHOLE_BLOCKS, first * blockSize, end - first * blockSize, 0));
      } else {
        long offset = random.nextLong(sectors) * SECTOR;
        long length = Math.min(size - offset, (1 + random.nextInt(4096)) * SECTOR);
        ops.add(new Op(Kind.ZERO_PART, offset, length, 0));
      }
    }
    // Always exercise the very last sector, where a partial last block would end.
    ops.add(new Op(Kind.WRITE, size - SECTOR, SECTOR, seed));
    return ops;
  }

  static void apply(List<Op> ops, BlockDevice... devices) throws IOException {
    for (Op op : ops) {
      for (BlockDevice device : devices) {
        op.applyTo(device);
      }
    }
  }
}
