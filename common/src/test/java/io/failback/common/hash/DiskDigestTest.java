package io.failback.common.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiskDigestTest {
  private static final int BLOCK_SIZE = 4096;
  private static final int PER_BATCH = 8;
  private static final BlockDigester DIGESTER = new BlockDigester(DigestAlgorithm.XXH3_128, 11);

  /** Digest of a synthetic block whose content depends only on its index. */
  private static byte[] blockDigest(long block) {
    byte[] data = new byte[64];
    ByteBuffer.wrap(data).putLong(block);
    return DIGESTER.digest(data, 0, data.length);
  }

  private static List<byte[]> batch(long first, int count) {
    List<byte[]> digests = new ArrayList<>();
    for (long b = first; b < first + count; b++) {
      digests.add(blockDigest(b));
    }
    return digests;
  }

  /** Feeds blocks [from, to) in batches aligned to the lane start, as a session would. */
  private static void feed(LaneDigest lane, long laneFirst, long from, long to) {
    for (long b = from; b < to; b += PER_BATCH) {
      assertEquals(0, (b - laneFirst) % PER_BATCH);
      lane.addBatch(b, batch(b, (int) Math.min(PER_BATCH, to - b)));
    }
  }

  private static byte[] le(int bytes, long value) {
    ByteBuffer buffer = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    return bytes == 4 ? buffer.putInt((int) value).array() : buffer.putLong(value).array();
  }

  @Test
  void chainFollowsTheDocumentedFormat() throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update("failback-disk-digest-v1".getBytes(StandardCharsets.US_ASCII));
    sha.update("XXH3_128".getBytes(StandardCharsets.US_ASCII));
    sha.update(le(4, BLOCK_SIZE));
    sha.update(le(8, 1000));
    byte[] chain0 = sha.digest();
    LaneDigest lane = new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, 1000);
    assertArrayEquals(chain0, lane.chain());

    List<byte[]> digests = batch(1000, 3);
    lane.addBatch(1000, digests);
    sha.update(chain0);
    sha.update(le(8, 1000));
    sha.update(le(4, 3));
    digests.forEach(sha::update);
    assertArrayEquals(sha.digest(), lane.chain());
    assertEquals(1003, lane.nextBlock());
  }

  @Test
  void outOfOrderBatchesAreRejectedNamingBothBlocks() {
    LaneDigest lane = new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, 0);
    lane.addBatch(0, batch(0, PER_BATCH));
    byte[] before = lane.chain();
    IllegalStateException gap = assertThrows(IllegalStateException.class,
        () -> lane.addBatch(16, batch(16, PER_BATCH)));
    assertTrue(gap.getMessage().contains("block 8") && gap.getMessage().contains("block 16"),
        gap.getMessage());
    assertThrows(IllegalStateException.class, () -> lane.addBatch(0, batch(0, PER_BATCH)));
    assertArrayEquals(before, lane.chain());
    assertEquals(8, lane.nextBlock());
  }

  @Test
  void malformedBatchesLeaveTheChainUnchanged() {
    LaneDigest lane = new LaneDigest(DigestAlgorithm.SHA_256, BLOCK_SIZE, 0);
    byte[] before = lane.chain();
    assertThrows(IllegalArgumentException.class, () -> lane.addBatch(0, new byte[0][]));
    // XXH3 digests are 16 bytes, but this lane expects 32-byte SHA-256 digests.
    assertThrows(IllegalArgumentException.class, () -> lane.addBatch(0, batch(0, 2)));
    assertArrayEquals(before, lane.chain());
    assertEquals(0, lane.nextBlock());
  }

  @Test
  void resumingFromAnyWatermarkGivesTheUninterruptedResult() {
    long first = 4096;
    long end = first + 10 * PER_BATCH + 3;
    LaneDigest uninterrupted = new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, first);
    feed(uninterrupted, first, first, end);

    for (long watermark = first; watermark < end; watermark += PER_BATCH) {
      LaneDigest before = new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, first);
      feed(before, first, first, watermark);
      // Only (nextBlock, chain) survive the restart.
      LaneDigest after = LaneDigest.resume(before.chain(), DigestAlgorithm.XXH3_128,
          before.nextBlock());
      feed(after, first, watermark, end);
      assertArrayEquals(uninterrupted.chain(), after.chain(), "watermark " + watermark);
    }
  }

  @Test
  void theChainCommitsToLaneStartBlockSizeAlgorithmAndBatching() {
    byte[] reference = new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, 0).chain();
    assertFalse(Arrays.equals(reference,
        new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, 1).chain()));
    assertFalse(Arrays.equals(reference,
        new LaneDigest(DigestAlgorithm.XXH3_128, 512, 0).chain()));
    assertFalse(Arrays.equals(reference,
        new LaneDigest(DigestAlgorithm.SHA_256, BLOCK_SIZE, 0).chain()));

    LaneDigest oneBatch = new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, 0);
    oneBatch.addBatch(0, batch(0, 8));
    LaneDigest twoBatches = new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, 0);
    twoBatches.addBatch(0, batch(0, 4));
    twoBatches.addBatch(4, batch(4, 4));
    assertFalse(Arrays.equals(oneBatch.chain(), twoBatches.chain()));
  }

  @Test
  void combineIsSha256OverLaneChainsInOrder() throws Exception {
    byte[] a = new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, 0).chain();
    byte[] b = new LaneDigest(DigestAlgorithm.XXH3_128, BLOCK_SIZE, 100).chain();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(a);
    sha.update(b);
    assertArrayEquals(sha.digest(), DiskDigest.combine(List.of(a, b)));
    assertFalse(Arrays.equals(DiskDigest.combine(List.of(a, b)),
        DiskDigest.combine(List.of(b, a))));
    assertThrows(IllegalArgumentException.class, () -> DiskDigest.combine(List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> DiskDigest.combine(List.of(a, new byte[16])));
  }

  @Test
  void resumeRejectsABadChainAndHexIsLowerCase() {
    assertThrows(IllegalArgumentException.class,
        () -> LaneDigest.resume(new byte[31], DigestAlgorithm.XXH3_128, 0));
    assertEquals("00ff7f80", DiskDigest.hex(new byte[] {0, -1, 127, -128}));
  }
}
