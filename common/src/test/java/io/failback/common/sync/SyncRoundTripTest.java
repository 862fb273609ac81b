package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.Compression;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random sessions over an in-process transport: random images, change sets, geometry
 * and modes; the target must end byte-identical with exactly the changed blocks sent.
 */
class SyncRoundTripTest {
  static final int SECTOR = 512;

  /** One random case; the seed reproduces it. */
  static final class Case {
    final SyncParameters parameters;
    final byte[] source;
    final byte[] target;
    final long blocksDiffering;
    final long sourceZeroBlocks;
    final long blocks;

    Case(long seed) {
      Random random = new Random(seed);
      int blockSize = new int[] {4096, 8192, 65536}[random.nextInt(3)];
      int sectors = 1 + random.nextInt(Math.max(1, 300 * blockSize / SECTOR));
      int size = sectors * SECTOR;
      source = new byte[size];
      blocks = (size + blockSize - 1) / blockSize;
      for (long b = 0; b < blocks; b++) {
        int from = (int) (b * blockSize);
        int to = Math.min(size, from + blockSize);
        switch (random.nextInt(4)) {
          case 0 -> { } // zeros
          case 1 -> Arrays.fill(source, from, to, (byte) (1 + random.nextInt(255)));
          default -> {
            for (int i = from; i < to; i++) {
              source[i] = (byte) random.nextInt(256);
            }
          }
        }
      }
      SyncMode mode = random.nextBoolean() ? SyncMode.DELTA : SyncMode.FULL;
      target = source.clone();
      for (long b = 0; b < blocks; b++) {
        if (mode == SyncMode.FULL ? random.nextInt(3) > 0 : random.nextInt(5) == 0) {
          int from = (int) (b * blockSize);
          int to = Math.min(size, from + blockSize);
          int at = from + random.nextInt(to - from);
          target[at] = (byte) (target[at] + 1 + random.nextInt(255));
          if (random.nextInt(4) == 0) {
            Arrays.fill(target, from, to, (byte) 0);
          }
        }
      }
      long differing = 0;
      long zero = 0;
      for (long b = 0; b < blocks; b++) {
        int from = (int) (b * blockSize);
        int to = Math.min(size, from + blockSize);
        if (!Arrays.equals(source, from, to, target, from, to)) {
          differing++;
        }
        if (Arrays.equals(source, from, to, new byte[to - from], 0, to - from)) {
          zero++;
        }
      }
      blocksDiffering = differing;
      sourceZeroBlocks = zero;
      SyncParameters drawn = SyncParameters.newBuilder()
          .setSessionId("s" + seed)
          .setMode(mode)
          .setDigestAlgorithm(random.nextInt(4) == 0 ? DigestAlgorithm.SHA_256
              : DigestAlgorithm.XXH3_128)
          .setDigestSeed(random.nextLong())
          .setBlockSize(blockSize)
          .setBlocksPerBatch(new int[] {1, 3, 16, 64}[random.nextInt(4)])
          .setDiskSize(size)
          .setLaneCount(1 + random.nextInt(3))
          .setWindowBatches(1 + random.nextInt(4))
          .setCompress(random.nextBoolean())
          .setVerifyReread(random.nextInt(3) == 0)
          .build();
      // Drawn last, so the cases above stay what they were before compression methods.
      Compression compression = Compression.forNumber(random.nextInt(4));
      parameters = drawn.toBuilder().setCompression(compression)
          .setCompressionLevel(compression == Compression.COMPRESSION_ZSTD
              ? random.nextInt(7) : 0).build();
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
      21, 22, 23, 24, 25, 26, 27, 28, 29, 30})
  void targetEndsByteIdenticalWithExactCounts(long seed) throws Throwable {
    Case c = new Case(seed);
    MemoryBlockDevice source = new MemoryBlockDevice(c.source.clone(), SECTOR, false);
    MemoryBlockDevice target = new MemoryBlockDevice(c.target.clone(), SECTOR, true);
    SyncHarness harness = new SyncHarness();
    harness.run(c.parameters, source, target, MemoryTransport.reliable());

    assertArrayEquals(c.source, target.contents(), "seed " + seed);
    assertEquals(harness.sourceResult.diskDigestHex(), harness.targetResult.diskDigestHex());
    var sent = harness.sourceProgress.snapshot();
    var received = harness.targetProgress.snapshot();
    if (c.parameters.getMode() == SyncMode.DELTA) {
      // Exactly the differing blocks travel, as bytes or (all-zero ones) as zero ranges.
      assertEquals(c.blocksDiffering, sent.blocksSent() + sent.blocksZero(), "seed " + seed);
      assertEquals(c.blocks - c.blocksDiffering, received.blocksEqual(), "seed " + seed);
      assertEquals(c.blocks, received.blocksScanned(), "seed " + seed);
    } else {
      assertEquals(c.blocks - c.sourceZeroBlocks, sent.blocksSent(), "seed " + seed);
      assertEquals(c.sourceZeroBlocks, sent.blocksZero(), "seed " + seed);
      assertEquals(0, received.blocksScanned(), "full copies compare nothing");
    }
    assertEquals(sent.blocksSent(), received.blocksSent());
    // The target knew all along what the source scanned and read: its last batch end said so.
    assertEquals(sent.blocksScanned(), received.sourceBlocksScanned(), "seed " + seed);
    assertEquals(sent.bytesRead(), received.sourceBytesRead(), "seed " + seed);
    if (c.parameters.getMode() == SyncMode.DELTA) {
      // Equal blocks are known to the source before a DELTA batch ends (a FULL one's, held by
      // the target, only at its acknowledgement).
      assertEquals(sent.blocksEqual(), received.sourceBlocksEqual(), "seed " + seed);
    }
    assertEquals(c.blocks, received.blocksSettled());
    assertEquals(c.blocks, sent.blocksSettled());
    assertTrue(sent.bytesOnWire() > 0);
  }
}
