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
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end state is proved from bytes read back from the target, not from bookkeeping: a verify
 * pass against the recorded digests re-reads the whole target and repairs what drifted, and
 * the target reads back every block it wrote.
 */
class ReadBackTest {
  private static final int BLOCK = 4096;
  private static final int BLOCKS = 200;
  @TempDir Path dir;

  private static SyncParameters parameters(SyncMode mode, String session) {
    return SyncParameters.newBuilder().setSessionId(session).setMode(mode)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(11).setBlockSize(BLOCK)
        .setBlocksPerBatch(8).setDiskSize(BLOCKS * BLOCK).setLaneCount(2).setWindowBatches(3)
        .setCompress(true).setDigestSet("disk-0").build();
  }

  private DiskSync.Options sets(String side, BitSet changed) {
    return new DiskSync.Options(new DigestSets(dir.resolve(side)), changed);
  }

  private static byte[] random(long seed) {
    byte[] data = new byte[BLOCKS * BLOCK];
    new Random(seed).nextBytes(data);
    return data;
  }

  /** Phase 1: the target made equal to the source, both sides recording their digests. */
  private void phaseOne(MemoryBlockDevice source, MemoryBlockDevice target) throws Throwable {
    new SyncHarness().run(parameters(SyncMode.DELTA, "p1"), source, target,
        MemoryTransport.reliable(), sets("source", null), sets("target", null));
  }

  @Test
  void aVerifyPassRepairsDriftReadingOnlyTheDriftedSourceBlocks() throws Throwable {
    byte[] source = random(1);
    byte[] target = new byte[source.length];
    MemoryBlockDevice sourceDisk = new MemoryBlockDevice(source, 512, false);
    MemoryBlockDevice targetDisk = new MemoryBlockDevice(target, 512, true);
    phaseOne(sourceDisk, targetDisk);
    target[5 * BLOCK + 17] ^= 0x04; // a bit flipped on the target while it waited
    target[177 * BLOCK + 4000] ^= 0x80;
    long sourceReadBefore = sourceDisk.bytesRead.get();

    SyncHarness verify = new SyncHarness();
    verify.run(parameters(SyncMode.DELTA, "p1v").toBuilder().setSourceDigestsRecorded(true)
            .setRereadWritten(true).build(), sourceDisk, targetDisk, MemoryTransport.reliable(),
        sets("source", null), sets("target", null));

    assertArrayEquals(source, target);
    assertEquals(2L * BLOCK, sourceDisk.bytesRead.get() - sourceReadBefore,
        "the source reads only the two blocks the target wants");
    var sent = verify.sourceProgress.snapshot();
    assertEquals(2, sent.blocksSent() + sent.blocksZero());
    var received = verify.targetProgress.snapshot();
    assertEquals(BLOCKS, received.blocksScanned(), "the target re-read every block");
    assertEquals((long) BLOCKS * BLOCK + 2L * BLOCK, received.bytesRead(),
        "every block once, and the two repaired ones again once durable");
    assertEquals(verify.sourceResult.diskDigestHex(), verify.targetResult.diskDigestHex());

    // The target's digest set now describes its bytes: a tracked phase 2 proves the disk.
    source[60 * BLOCK] ^= 1;
    BitSet changed = new BitSet();
    changed.set(60);
    SyncHarness phaseTwo = new SyncHarness();
    phaseTwo.run(parameters(SyncMode.TRACKED, "p2").toBuilder().setRereadWritten(true).build(),
        new MemoryBlockDevice(source, 512, false), targetDisk, MemoryTransport.reliable(),
        sets("source", changed), sets("target", null));
    assertArrayEquals(source, target);
    assertEquals(BLOCK, phaseTwo.targetProgress.snapshot().bytesRead(),
        "phase 2 reads back exactly the one block it wrote");
  }

  @Test
  void aVerifyPassFindsNothingToRepairOnAnUndisturbedTarget() throws Throwable {
    byte[] source = random(2);
    MemoryBlockDevice sourceDisk = new MemoryBlockDevice(source, 512, false);
    MemoryBlockDevice targetDisk = new MemoryBlockDevice(new byte[source.length], 512, true);
    phaseOne(sourceDisk, targetDisk);
    long sourceReadBefore = sourceDisk.bytesRead.get();
    SyncHarness verify = new SyncHarness();
    verify.run(parameters(SyncMode.DELTA, "p1v").toBuilder().setSourceDigestsRecorded(true)
            .build(), sourceDisk, targetDisk, MemoryTransport.reliable(),
        sets("source", null), sets("target", null));
    assertEquals(0, sourceDisk.bytesRead.get() - sourceReadBefore, "nothing read at the source");
    assertEquals(BLOCKS, verify.sourceProgress.snapshot().blocksEqual());
  }

  @Test
  void aSourceWhoseViewDiffersFromItsRecordedDigestsFailsRatherThanSendIt() throws Throwable {
    byte[] source = random(3);
    MemoryBlockDevice targetDisk = new MemoryBlockDevice(new byte[source.length], 512, true);
    phaseOne(new MemoryBlockDevice(source, 512, false), targetDisk);
    byte[] target = targetDisk.contents();
    target[9 * BLOCK] ^= 1;
    byte[] otherView = source.clone();
    otherView[9 * BLOCK + 1] ^= 1; // not the view the digests were recorded from
    MemoryBlockDevice drifted = new MemoryBlockDevice(target, 512, true);
    SyncException e = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(SyncMode.DELTA, "p1v").toBuilder().setSourceDigestsRecorded(true).build(),
        new MemoryBlockDevice(otherView, 512, false), drifted, MemoryTransport.reliable(),
        sets("source", null), sets("target", null)));
    assertEquals(SyncException.Kind.DATA_LOSS, e.kind());
    assertTrue(e.getMessage().contains("differs from the digest recorded"), e.getMessage());
    assertArrayEquals(target, drifted.contents(), "nothing written from a wrong view");
  }

  @Test
  void readingBackWhatWasWrittenCatchesALostWriteAndNamesItsOffset() throws Throwable {
    byte[] source = random(4);
    // Block 9's bytes are acknowledged, never stored.
    MemoryBlockDevice lossy =
        new io.failback.common.testing.LosingBlockDevice(source.length, 9L * BLOCK, BLOCK);
    SyncException e = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(SyncMode.FULL, "full").toBuilder().setRereadWritten(true).build(),
        new MemoryBlockDevice(source, 512, false), lossy, MemoryTransport.reliable(),
        sets("source", null), sets("target", null)));
    assertEquals(SyncException.Kind.DATA_LOSS, e.kind());
    assertTrue(e.getMessage().contains("1 of the 104 blocks written read back different")
        && e.getMessage().contains("block 9 (bytes 36864+4096)"), e.getMessage());
  }

  @Test
  void recordedSourceDigestsNeedADeltaSessionWithADigestSet() {
    MemoryBlockDevice disk = new MemoryBlockDevice(new byte[BLOCKS * BLOCK], 512, true);
    SyncException full = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(SyncMode.FULL, "x").toBuilder().setSourceDigestsRecorded(true).build(), disk,
        disk, MemoryTransport.reliable(), sets("s", null), sets("t", null)));
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, full.kind());
    SyncException unrecorded = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(SyncMode.DELTA, "x").toBuilder().setSourceDigestsRecorded(true)
            .setDigestSet("never-recorded").build(), disk,
        new MemoryBlockDevice(new byte[BLOCKS * BLOCK], 512, true), MemoryTransport.reliable(),
        sets("s", null), sets("t", null)));
    assertEquals(SyncException.Kind.FAILED_PRECONDITION, unrecorded.kind());
  }
}
