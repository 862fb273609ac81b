package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Phase 1 records digest sets on both sides; phase 2 (TRACKED) sends exactly the blocks written
 * since, reads nothing else, and still proves the whole disk equal.
 */
class TrackedSyncTest {
  static final int BLOCK = 4096;
  @TempDir Path dir;

  private static SyncParameters parameters(SyncMode mode, int size, long seed, String set) {
    return SyncParameters.newBuilder().setSessionId("t-" + mode).setMode(mode)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(seed).setBlockSize(BLOCK)
        .setBlocksPerBatch(8).setDiskSize(size).setLaneCount(2).setWindowBatches(3)
        .setCompress(true).setDigestSet(set).build();
  }

  private DiskSync.Options sets(String side) {
    return new DiskSync.Options(new DigestSets(dir.resolve(side)), null);
  }

  /**
   * Blocks the tracking reports as written but whose bytes equal what both sides recorded (a
   * failback's own writes, reported back by the host) are not sent, even across resumes.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2})
  void writtenButUnchangedBlocksDoNotTravel(long seed) throws Throwable {
    Random random = new Random(seed);
    int size = 300 * BLOCK;
    byte[] source = new byte[size];
    random.nextBytes(source);
    byte[] target = new byte[size];
    MemoryBlockDevice sourceDisk = new MemoryBlockDevice(source, 512, true);
    MemoryBlockDevice targetDisk = new MemoryBlockDevice(target, 512, true);
    long digestSeed = random.nextLong();
    new SyncHarness().run(parameters(SyncMode.DELTA, size, digestSeed, "disk-0"), sourceDisk,
        targetDisk, MemoryTransport.reliable(), sets("source"), sets("target"));
    BitSet reported = new BitSet();
    reported.set(10, 60);
    BitSet really = new BitSet();
    for (int block : new int[] {12, 40, 59}) {
      byte[] data = new byte[BLOCK];
      random.nextBytes(data);
      System.arraycopy(data, 0, source, block * BLOCK, BLOCK);
      really.set(block);
    }
    AtomicInteger opens = new AtomicInteger();
    MemoryTransport transport = seed == 2
        ? new MemoryTransport(() -> opens.incrementAndGet() <= 2 ? 2 : Integer.MAX_VALUE)
        : MemoryTransport.reliable();
    SyncHarness tracked = new SyncHarness();
    tracked.run(parameters(SyncMode.TRACKED, size, digestSeed, "disk-0"), sourceDisk,
        targetDisk, transport, new DiskSync.Options(new DigestSets(dir.resolve("source")),
            reported), sets("target"));
    assertArrayEquals(source, target);
    if (seed == 1) {
      assertEquals(really.cardinality(), tracked.sourceProgress.snapshot().blocksSent());
      assertEquals(reported.cardinality() - really.cardinality(),
          tracked.sourceProgress.snapshot().blocksEqual());
    }
    assertEquals(tracked.sourceResult.diskDigestHex(), tracked.targetResult.diskDigestHex());
  }

  /**
   * The target's disk was put back under its digest set (a failback run rolled back): with
   * send_every_changed every reported block travels, those both sides recorded among them, and
   * the disks end equal; without it those stay behind, as the test's last check shows.
   */
  @Test
  void sendEveryChangedSendsBlocksBothSidesRecorded() throws Throwable {
    Random random = new Random(7);
    int size = 200 * BLOCK;
    byte[] source = new byte[size];
    random.nextBytes(source);
    byte[] target = source.clone();
    byte[] before = source.clone();
    MemoryBlockDevice sourceDisk = new MemoryBlockDevice(source, 512, true);
    MemoryBlockDevice targetDisk = new MemoryBlockDevice(target, 512, true);
    long digestSeed = random.nextLong();
    BitSet written = new BitSet();
    written.set(30, 50);
    for (int block = 30; block < 50; block++) {
      byte[] data = new byte[BLOCK];
      random.nextBytes(data);
      System.arraycopy(data, 0, source, block * BLOCK, BLOCK);
    }
    // The undone run: both sides record the new bytes, then the target's disk is put back.
    new SyncHarness().run(parameters(SyncMode.DELTA, size, digestSeed, "disk-0"), sourceDisk,
        targetDisk, MemoryTransport.reliable(), sets("source"), sets("target"));
    System.arraycopy(before, 0, target, 0, size);
    SyncHarness tracked = new SyncHarness();
    tracked.run(parameters(SyncMode.TRACKED, size, digestSeed, "disk-0").toBuilder()
        .setSendEveryChanged(true).build(), sourceDisk, targetDisk, MemoryTransport.reliable(),
        new DiskSync.Options(new DigestSets(dir.resolve("source")), written), sets("target"));
    assertEquals(written.cardinality(), tracked.sourceProgress.snapshot().blocksSent());
    assertArrayEquals(source, target);

    System.arraycopy(before, 0, target, 0, size);
    SyncHarness skipping = new SyncHarness();
    skipping.run(parameters(SyncMode.TRACKED, size, digestSeed, "disk-0"), sourceDisk,
        targetDisk, MemoryTransport.reliable(),
        new DiskSync.Options(new DigestSets(dir.resolve("source")), written), sets("target"));
    assertEquals(0, skipping.sourceProgress.snapshot().blocksSent());
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void phaseTwoSendsExactlyTheWrittenBlocksAndProvesTheWholeDisk(long seed) throws Throwable {
    Random random = new Random(seed);
    int size = (200 + random.nextInt(200)) * BLOCK + 512 * random.nextInt(8);
    byte[] source = new byte[size];
    random.nextBytes(source);
    byte[] target = new byte[size];
    MemoryBlockDevice sourceDisk = new MemoryBlockDevice(source, 512, true);
    MemoryBlockDevice targetDisk = new MemoryBlockDevice(target, 512, true);
    long digestSeed = random.nextLong();
    new SyncHarness().run(parameters(SyncMode.DELTA, size, digestSeed, "disk-0"), sourceDisk,
        targetDisk, MemoryTransport.reliable(), sets("source"), sets("target"));
    assertArrayEquals(source, target);

    // The "running VM" writes after the snapshot: random extents, some of them zeros.
    BitSet changed = new BitSet();
    for (int i = 0; i < 1 + random.nextInt(30); i++) {
      int from = random.nextInt(size / 512) * 512;
      int length = Math.min(size - from, 512 * (1 + random.nextInt(20)));
      if (random.nextInt(4) == 0) {
        java.util.Arrays.fill(source, from, from + length, (byte) 0);
      } else {
        byte[] data = new byte[length];
        random.nextBytes(data);
        System.arraycopy(data, 0, source, from, length);
      }
      changed.set(from / BLOCK, (from + length - 1) / BLOCK + 1);
    }
    long readBefore = sourceDisk.bytesRead.get();
    SyncHarness phaseTwo = new SyncHarness();
    AtomicInteger opens = new AtomicInteger();
    MemoryTransport flaky = new MemoryTransport(
        () -> opens.incrementAndGet() <= 2 ? 3 + (int) (seed % 5) : Integer.MAX_VALUE);
    // Seeds 3 and 6 end every batch on its own, the others close runs of up to 4 unwritten
    // batches with one end (batches_per_end); 2, 4 and 6 on links cut and resumed.
    phaseTwo.run(parameters(SyncMode.TRACKED, size, digestSeed, "disk-0").toBuilder()
        .setBatchesPerEnd(seed % 3 == 0 ? 0 : 4).build(), sourceDisk,
        targetDisk, seed % 2 == 0 ? flaky : MemoryTransport.reliable(),
        new DiskSync.Options(new DigestSets(dir.resolve("source")), changed), sets("target"));

    assertArrayEquals(source, target, "seed " + seed);
    var sent = phaseTwo.sourceProgress.snapshot();
    if (seed % 2 != 0) {
      assertEquals(changed.cardinality(), sent.blocksSent() + sent.blocksZero(),
          "exactly the written blocks travel");
      assertEquals(0, phaseTwo.targetProgress.snapshot().bytesRead(), "the target reads nothing");
      assertTrue(sourceDisk.bytesRead.get() - readBefore <= (long) changed.cardinality() * BLOCK);
    }
    assertEquals(phaseTwo.sourceResult.diskDigestHex(), phaseTwo.targetResult.diskDigestHex());

    // The digest equals what a full comparison of the final disks computes with the same seed.
    SyncHarness check = new SyncHarness();
    check.run(parameters(SyncMode.DELTA, size, digestSeed, ""), sourceDisk, targetDisk,
        MemoryTransport.reliable());
    assertEquals(check.sourceResult.diskDigestHex(), phaseTwo.sourceResult.diskDigestHex());
    assertEquals(0, check.sourceProgress.snapshot().blocksSent());
  }

  /**
   * A session that records a set with another block size starts it over (the VM's block size
   * changed); one that reads it then needs the new size, and finds every digest of it.
   */
  @Test
  void aSetRecordedAgainInOtherBlocksStartsOver() throws Throwable {
    int size = 64 * BLOCK;
    byte[] source = new byte[size];
    new Random(3).nextBytes(source);
    byte[] target = new byte[size];
    MemoryBlockDevice a = new MemoryBlockDevice(source, 512, true);
    MemoryBlockDevice b = new MemoryBlockDevice(target, 512, true);
    int large = 4 * BLOCK;
    new SyncHarness().run(parameters(SyncMode.FULL, size, 1, "disk-3").toBuilder()
        .setBlockSize(large).build(), a, b, MemoryTransport.reliable(), sets("s"), sets("t"));
    new SyncHarness().run(parameters(SyncMode.DELTA, size, 1, "disk-3"), a, b,
        MemoryTransport.reliable(), sets("s"), sets("t"));

    SyncException old = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(SyncMode.TRACKED, size, 1, "disk-3").toBuilder().setBlockSize(large).build(),
        a, b, MemoryTransport.reliable(), new DiskSync.Options(sets("s").digestSets(),
            new BitSet()), sets("t")));
    assertTrue(old.getMessage().contains("was recorded for"), old.getMessage());

    source[5 * BLOCK + 7] ^= 1;
    BitSet changed = new BitSet();
    changed.set(5);
    SyncHarness tracked = new SyncHarness();
    tracked.run(parameters(SyncMode.TRACKED, size, 1, "disk-3"), a, b,
        MemoryTransport.reliable(), new DiskSync.Options(sets("s").digestSets(), changed),
        sets("t"));
    assertEquals(1, tracked.sourceProgress.snapshot().blocksSent());
    assertEquals(tracked.sourceResult.diskDigestHex(), tracked.targetResult.diskDigestHex());
    assertArrayEquals(source, target);
  }

  @Test
  void trackedNeedsTheDigestSetOfTheSameSeed() throws Throwable {
    int size = 64 * BLOCK;
    byte[] data = new byte[size];
    MemoryBlockDevice a = new MemoryBlockDevice(data, 512, true);
    MemoryBlockDevice b = new MemoryBlockDevice(new byte[size], 512, true);
    SyncException missing = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(SyncMode.TRACKED, size, 1, "never-recorded"), a, b,
        MemoryTransport.reliable(), new DiskSync.Options(sets("s").digestSets(), new BitSet()),
        sets("t")));
    assertEquals(SyncException.Kind.FAILED_PRECONDITION, missing.kind());

    new SyncHarness().run(parameters(SyncMode.FULL, size, 1, "disk-1"), a, b,
        MemoryTransport.reliable(), sets("s"), sets("t"));
    SyncException otherSeed = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(SyncMode.TRACKED, size, 2, "disk-1"), a, b, MemoryTransport.reliable(),
        new DiskSync.Options(sets("s").digestSets(), new BitSet()), sets("t")));
    assertTrue(otherSeed.getMessage().contains("was recorded for"), otherSeed.getMessage());

    SyncException badName = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(SyncMode.FULL, size, 1, "../escape"), a, b, MemoryTransport.reliable(),
        sets("s"), sets("t")));
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, badName.kind());
  }
}
