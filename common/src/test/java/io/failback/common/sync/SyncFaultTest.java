package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.BatchEnd;
import io.failback.proto.v1.BlockEncoding;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Cut links, flipped bits and hostile frames. */
class SyncFaultTest {
  @ParameterizedTest
  @ValueSource(longs = {101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112})
  void cutLinksResumeWithoutRedoingAcknowledgedRanges(long seed) throws Throwable {
    SyncRoundTripTest.Case c = new SyncRoundTripTest.Case(seed);
    // A clean run first, to know how many frames a lane exchanges: cuts land inside that.
    MemoryTransport clean = MemoryTransport.reliable();
    new SyncHarness().run(c.parameters, new MemoryBlockDevice(c.source.clone(), 512, false),
        new MemoryBlockDevice(c.target.clone(), 512, true), clean);
    int framesPerLane = Math.max(2, clean.delivered.size() / c.parameters.getLaneCount());
    Random random = new Random(seed);
    AtomicInteger opens = new AtomicInteger();
    MemoryTransport transport = new MemoryTransport(() -> opens.incrementAndGet() > 12
        ? Integer.MAX_VALUE : 1 + random.nextInt(framesPerLane - 1));
    MemoryBlockDevice target = new MemoryBlockDevice(c.target.clone(), 512, true);
    SyncHarness harness = new SyncHarness();
    harness.run(c.parameters, new MemoryBlockDevice(c.source.clone(), 512, false), target,
        transport);

    assertArrayEquals(c.source, target.contents(), "seed " + seed);
    assertEquals(harness.sourceResult.diskDigestHex(), harness.targetResult.diskDigestHex());
    assertEquals(List.of(), transport.redone, "work redone below a durable watermark");
    assertTrue(transport.cuts.get() > 0, "no link was cut; the test proves nothing");
    assertEquals(c.blocks, harness.targetProgress.snapshot().blocksSettled(),
        "logical progress counts each block once, whatever was redone");
  }

  private static SyncParameters parameters(SyncMode mode, int size) {
    return SyncParameters.newBuilder().setSessionId("fault").setMode(mode)
        .setDigestAlgorithm(io.failback.proto.v1.DigestAlgorithm.XXH3_128).setDigestSeed(7)
        .setBlockSize(4096).setBlocksPerBatch(4).setDiskSize(size).setLaneCount(1)
        .setWindowBatches(2).build();
  }

  private static byte[] random(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  /** Applies {@code change} to the first block payload only. */
  private static UnaryOperator<SyncFrame> firstBlock(UnaryOperator<SyncFrame> change) {
    AtomicBoolean done = new AtomicBoolean();
    return frame -> frame.hasBlock() && done.compareAndSet(false, true) ? change.apply(frame)
        : frame;
  }

  private SyncException failedRun(SyncMode mode, UnaryOperator<SyncFrame> change,
      byte[] targetBefore) {
    byte[] source = random(64 * 4096, 1);
    MemoryBlockDevice target = new MemoryBlockDevice(targetBefore.clone(), 512, true);
    MemoryTransport transport = MemoryTransport.reliable();
    transport.tamper(firstBlock(change));
    SyncException e = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(mode, source.length), new MemoryBlockDevice(source, 512, false), target,
        transport));
    assertArrayEquals(targetBefore, target.contents(), "a rejected frame changed the disk");
    return e;
  }

  @Test
  void flippedBitInAPayloadIsDetectedAndNothingIsWritten() {
    SyncException e = failedRun(SyncMode.FULL, frame -> {
      byte[] data = frame.getBlock().getData().toByteArray();
      data[100] ^= 0x10;
      return frame.toBuilder().setBlock(frame.getBlock().toBuilder()
          .setData(ByteString.copyFrom(data))).build();
    }, random(64 * 4096, 2));
    assertEquals(SyncException.Kind.DATA_LOSS, e.kind());
    assertTrue(e.getMessage().contains("does not match its digest"), e.getMessage());
  }

  @Test
  void blockIndexOutOfRangeIsInvalid() {
    SyncException e = failedRun(SyncMode.FULL, frame -> frame.toBuilder().setBlock(
        frame.getBlock().toBuilder().setBlockIndex(1L << 40)).build(), random(64 * 4096, 3));
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.getMessage().contains("outside the batch"), e.getMessage());
  }

  @Test
  void payloadSizeNotMatchingIsInvalid() {
    SyncException e = failedRun(SyncMode.FULL, frame -> frame.toBuilder().setBlock(
        frame.getBlock().toBuilder().setEncoding(BlockEncoding.UNCOMPRESSED)
            .setData(ByteString.copyFrom(new byte[100]))).build(), random(64 * 4096, 4));
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.getMessage().contains("carries 100 bytes"), e.getMessage());
  }

  @Test
  void anAcknowledgementClaimingMoreHeldBlocksThanItsBatchIsInvalid() {
    // A hostile target must not inflate the job's counters: at most the batch's blocks.
    byte[] source = random(64 * 4096, 1);
    MemoryTransport transport = MemoryTransport.reliable();
    transport.tamper(frame -> frame.hasAck() ? frame.toBuilder().setAck(
        frame.getAck().toBuilder().setBlocksHeld(-1)).build() : frame);
    SyncException e = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters(SyncMode.FULL, source.length), new MemoryBlockDevice(source, 512, false),
        new MemoryBlockDevice(new byte[source.length], 512, true), transport));
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.getMessage().contains("says the target held 4294967295 blocks"),
        e.getMessage());
  }

  @Test
  void aBatchEndClaimingMoreThan2To40BlocksOr2To50BytesIsInvalid() {
    // A hostile source must not show a job absurd counts while it runs.
    List<UnaryOperator<BatchEnd.Builder>> lies = List.of(
        end -> end.setSourceBlocksScanned((1L << 40) + 1),
        end -> end.setSourceBlocksEqual(-1),
        end -> end.setSourceBytesRead((1L << 50) + 1));
    List<String> said = List.of("scanned 1099511627777, found 0",
        "found 18446744073709551615 blocks equal", "read 1125899906842625 bytes");
    for (int i = 0; i < lies.size(); i++) {
      var lie = lies.get(i);
      byte[] source = random(64 * 4096, 1);
      MemoryTransport transport = MemoryTransport.reliable();
      transport.tamper(frame -> !frame.hasBatchEnd() ? frame : frame.toBuilder().setBatchEnd(
          lie.apply(frame.getBatchEnd().toBuilder())).build());
      SyncException e = assertThrows(SyncException.class, () -> new SyncHarness().run(
          parameters(SyncMode.FULL, source.length), new MemoryBlockDevice(source, 512, false),
          new MemoryBlockDevice(new byte[source.length], 512, true), transport));
      assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind());
      assertTrue(e.getMessage().contains(said.get(i)) && e.getMessage().contains("at most 2^40"
          + " blocks and 2^50 bytes"), e.getMessage());
    }
  }

  @Test
  void blockTheTargetDidNotAskForIsInvalid() {
    byte[] source = random(64 * 4096, 1);
    byte[] target = source.clone();
    target[5 * 4096] ^= 1; // only block 5 differs
    SyncException e = failedRun(SyncMode.DELTA, frame -> frame.toBuilder().setBlock(
        frame.getBlock().toBuilder().setBlockIndex(6)).build(), target);
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind());
  }

  @Test
  void rereadVerifyCatchesAWriteTheDiskLost() throws Exception {
    byte[] source = random(64 * 4096, 5);
    // Block 9's bytes are acknowledged, never stored.
    MemoryBlockDevice lossy =
        new io.failback.common.testing.LosingBlockDevice(source.length, 9 * 4096, 4096);
    SyncParameters parameters = parameters(SyncMode.FULL, source.length).toBuilder()
        .setVerifyReread(true).build();
    SyncException e = assertThrows(SyncException.class, () -> new SyncHarness().run(
        parameters, new MemoryBlockDevice(source, 512, false), lossy,
        MemoryTransport.reliable()));
    assertEquals(SyncException.Kind.DATA_LOSS, e.kind());
    assertTrue(e.getMessage().contains("re-read digest chain"), e.getMessage());
  }

  @Test
  void aRefusedWriteIsTheCauseEveryLaneReportsAndNoLaneWritesOnceTheSessionEnded() {
    byte[] source = random(256 * 4096, 9);
    AtomicBoolean closed = new AtomicBoolean();
    AtomicInteger writtenAfterClose = new AtomicInteger();
    // Lane 0 meets a full disk; the other lanes write slowly and do not heed an interrupt,
    // as a write the kernel has already taken. Once the agent closes the disk, every write
    // fails as a closed channel: a lane still running then must neither write nor tell the
    // peer "ClosedChannelException" as though that were the cause.
    MemoryBlockDevice target = new MemoryBlockDevice(new byte[source.length], 512, true) {
      @Override
      public void write(long offset, java.nio.ByteBuffer src) throws java.io.IOException {
        if (closed.get()) {
          throw new java.nio.channels.ClosedChannelException();
        }
        // Whatever write covers block 40: a lane's writer joins blocks into longer writes.
        if (offset <= 40 * 4096 && 40 * 4096 < offset + src.remaining()) {
          throw new java.io.IOException("No space left on device");
        }
        if (offset >= 64 * 4096) {
          long end = System.nanoTime() + 20_000_000;
          while (System.nanoTime() < end) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
          }
        }
        super.write(offset, src);
        if (closed.get()) {
          writtenAfterClose.incrementAndGet();
        }
      }
    };
    SyncHarness harness = new SyncHarness();
    harness.targetEnded = () -> closed.set(true);
    SyncParameters parameters = parameters(SyncMode.FULL, source.length).toBuilder()
        .setLaneCount(4).build();
    MemoryTransport transport = MemoryTransport.reliable();
    SyncException e = assertThrows(SyncException.class, () -> harness.run(parameters,
        new MemoryBlockDevice(source, 512, false), target, transport));

    assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
    assertEquals(0, writtenAfterClose.get(), "a lane wrote after its session ended");
    List<String> told = transport.failuresTold;
    assertTrue(!told.isEmpty()
        && told.stream().allMatch(m -> m.contains("No space left on device")), told::toString);
  }

  @Test
  void aBlockCompressedOtherwiseThanTheSessionSaysIsRefusedBeforeDecoding() {
    // The session sends raw blocks only: an LZ4 payload (from a hostile or confused source)
    // never reaches a decoder.
    byte[] before = new byte[64 * 4096];
    SyncException e = failedRun(SyncMode.FULL, frame -> frame.toBuilder().setBlock(
        frame.getBlock().toBuilder().setEncoding(BlockEncoding.ZSTD)).build(), before);
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind());
    assertTrue(e.getMessage().contains("is encoded ZSTD but the session compresses with none"),
        e.getMessage());
  }

  @Test
  void aCompressionMethodOrLevelOutOfRangeIsRefused() {
    SyncParameters base = parameters(SyncMode.FULL, 4096 * 8);
    SyncParameters unknown = base.toBuilder().setCompressionValue(9).build();
    SyncParameters tooStrong = base.toBuilder()
        .setCompression(io.failback.proto.v1.Compression.COMPRESSION_ZSTD)
        .setCompressionLevel(20).build();
    SyncParameters levelOnLz4 = base.toBuilder()
        .setCompression(io.failback.proto.v1.Compression.COMPRESSION_LZ4)
        .setCompressionLevel(3).build();
    assertTrue(assertThrows(SyncException.class, () -> SessionGeometry.of(unknown, 512))
        .getMessage().contains("compression 9 is not one this side knows"));
    assertTrue(assertThrows(SyncException.class, () -> SessionGeometry.of(tooStrong, 512))
        .getMessage().contains("compression_level 20 must be 1..19"));
    SyncParameters negative = tooStrong.toBuilder().setCompressionLevel(-1).build();
    assertTrue(assertThrows(SyncException.class, () -> SessionGeometry.of(negative, 512))
        .getMessage().contains("compression_level 4294967295 must be 1..19"));
    assertTrue(assertThrows(SyncException.class, () -> SessionGeometry.of(levelOnLz4, 512))
        .getMessage().contains("is for COMPRESSION_ZSTD only"));
  }

  @Test
  void aSourceThatNeverEndsItsBatchesIsRefusedPastTheWindow() throws Exception {
    // A hostile source sends digests and never the batches' ends: the target holds each
    // batch's digests until then, so past the window (2) it refuses instead of holding more.
    byte[] before = random(64 * 4096, 5);
    MemoryBlockDevice target = new MemoryBlockDevice(before.clone(), 512, true);
    MemoryTransport transport = MemoryTransport.reliable();
    SyncParameters parameters = parameters(SyncMode.DELTA, before.length);
    java.util.concurrent.CompletableFuture<DiskSync.Result> run =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> {
          try {
            return new DiskSync(parameters, io.failback.proto.v1.SyncRole.TARGET, target,
                transport.acceptor(), transport::durable, new SyncProgress(), 1,
                java.time.Duration.ofMillis(1)).run();
          } catch (SyncException | InterruptedException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        });
    FrameLink source = transport.opener().open(0).link();
    for (long first = 0; first < 12; first += 4) {
      source.send(SyncFrame.newBuilder().setChecksums(io.failback.proto.v1.ChecksumBatch
          .newBuilder().setFirstBlock(first).setBlockCount(4)
          .setDigests(ByteString.copyFrom(new byte[4 * 16]))).build());
    }
    java.util.concurrent.ExecutionException e = assertThrows(
        java.util.concurrent.ExecutionException.class, () -> run.get(30,
            java.util.concurrent.TimeUnit.SECONDS));
    SyncException refused = (SyncException) e.getCause();
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, refused.kind(), refused.getMessage());
    assertTrue(refused.getMessage().contains(
        "checksum batch at 8 while 2 batches await their end: the window is 2"),
        refused.getMessage());
    assertArrayEquals(before, target.contents(), "a refused source changed the disk");
  }
}
