package io.failback.common.hash;

import io.failback.common.codec.BlockCodec;
import java.util.Random;

/**
 * Prints single-thread GB/s for block digests, the zero check and LZ4 over 1 GiB; not a test.
 *
 * <p>Wall-clock numbers are too noisy for assertions, so this is run by hand when tuning.
 */
public final class Throughput {
  private static final int BLOCK = 1 << 20;
  private static final int BLOCKS = 1024;

  private Throughput() {}

  /** Runs each measurement twice and prints the second, after the JIT has warmed up. */
  public static void main(String[] args) {
    byte[] data = new byte[64 * BLOCK];
    Random random = new Random(1);
    random.nextBytes(data);
    // Half-random blocks, roughly like the ones PERF.md measured LZ4 on.
    for (int off = 0; off < data.length; off += BLOCK) {
      java.util.Arrays.fill(data, off, off + BLOCK / 2, (byte) (off >>> 20));
    }
    BlockDigester xxh3 = new BlockDigester(DigestAlgorithm.XXH3_128, random.nextLong());
    BlockDigester sha = new BlockDigester(DigestAlgorithm.SHA_256, 0);
    BlockCodec codec = new BlockCodec(BLOCK);
    // The zero check only runs to the end of a block when the block is all zeros.
    byte[] zeros = new byte[data.length];
    for (int round = 0; round < 2; round++) {
      boolean print = round == 1;
      measure(print, "XXH3-128", data, (d, off) -> xxh3.digest(d, off, BLOCK).length);
      measure(print, "SHA-256", data, (d, off) -> sha.digest(d, off, BLOCK).length);
      measure(print, "zero check", zeros, (d, off) -> ZeroBlocks.isAllZero(d, off, BLOCK) ? 1 : 0);
      measure(print, "LZ4 encode", data, (d, off) -> codec.encode(d, off, BLOCK).data().length);
    }
  }

  private interface BlockOp {
    int apply(byte[] data, int off);
  }

  private static void measure(boolean print, String name, byte[] data, BlockOp op) {
    long sink = 0;
    long start = System.nanoTime();
    for (int i = 0; i < BLOCKS; i++) {
      sink += op.apply(data, (i % (data.length / BLOCK)) * BLOCK);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (print) {
      System.out.printf("%-12s %6.2f GB/s (sink %d)%n", name,
          (double) BLOCKS * BLOCK / seconds / 1e9, sink);
    }
  }
}
