package io.failback.controller.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/** Writes the benchmark's disk images: random data, seeded, zero blocks left as holes. */
final class BenchImages {
  static final int BLOCK = 64 * 1024;
  private static final int CHUNK = 8 << 20;

  private BenchImages() {}

  /** A sparse image of {@code size} bytes where a block is zero with {@code zeroChance}. */
  static void random(Path file, long size, double zeroChance, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] chunk = new byte[CHUNK];
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      channel.truncate(0);
      for (long offset = 0; offset < size; offset += CHUNK) {
        random.nextBytes(chunk);
        for (int block = 0; block < CHUNK / BLOCK; block++) {
          if (random.nextDouble() < zeroChance) {
            continue; // a hole: the file stays sparse there
          }
          channel.write(ByteBuffer.wrap(chunk, block * BLOCK, BLOCK),
              offset + (long) block * BLOCK);
        }
      }
      if (channel.size() < size) {
        channel.write(ByteBuffer.allocate(1), size - 1);
      }
      channel.force(true);
    }
  }

  /** Changes {@code count} random blocks of {@code file} (one byte each); returns count. */
  static int changeBlocks(Path file, long size, int count, long seed) throws IOException {
    return changedBlocks(file, size, count, seed).cardinality();
  }

  /** Changes {@code count} random blocks of {@code file} (one byte each); returns which. */
  static java.util.BitSet changedBlocks(Path file, long size, int count, long seed)
      throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    long blocks = size / BLOCK;
    java.util.BitSet chosen = new java.util.BitSet();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      while (chosen.cardinality() < count) {
        int block = (int) random.nextLong(blocks);
        if (chosen.get(block)) {
          continue;
        }
        chosen.set(block);
        long offset = (long) block * BLOCK + random.nextInt(BLOCK);
        ByteBuffer one = ByteBuffer.allocate(1);
        channel.read(one, offset);
        one.put(0, (byte) (one.get(0) ^ 0xa5)).rewind();
        channel.write(one, offset);
      }
      channel.force(true);
    }
    return chosen;
  }
}
