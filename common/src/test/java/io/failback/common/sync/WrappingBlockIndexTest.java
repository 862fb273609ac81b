package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.common.hash.BlockDigester;
import io.failback.common.hash.DigestAlgorithm;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.BlockEncoding;
import io.failback.proto.v1.BlockPayload;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.ZeroRange;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A hostile source's block index or zero range near 2^63, whose end wraps past
 * {@code Long.MAX_VALUE}: the target refuses it as out of range (INVALID_ARGUMENT, nothing
 * written), as it does any other index outside the batch, instead of failing the lane with an
 * unchecked exception that the lane never tells its peer.
 */
class WrappingBlockIndexTest {
  private static final int BLOCK = 4096;

  private static SyncParameters parameters(int size) {
    return SyncParameters.newBuilder().setSessionId("wrap").setMode(SyncMode.FULL)
        .setDigestAlgorithm(io.failback.proto.v1.DigestAlgorithm.XXH3_128).setDigestSeed(7)
        .setBlockSize(BLOCK).setBlocksPerBatch(4).setDiskSize(size).setLaneCount(1)
        .setWindowBatches(2).build();
  }

  /** Runs a FULL target alone, fed {@code frame} as the lane's first; returns its failure. */
  private static SyncException refused(SyncFrame frame, byte[] before) throws Exception {
    MemoryBlockDevice target = new MemoryBlockDevice(before.clone(), 512, true);
    MemoryTransport transport = MemoryTransport.reliable();
    SyncParameters parameters = parameters(before.length);
    CompletableFuture<DiskSync.Result> run = CompletableFuture.supplyAsync(() -> {
      try {
        return new DiskSync(parameters, SyncRole.TARGET, target, transport.acceptor(),
            transport::durable, new SyncProgress(), 1, Duration.ofMillis(1)).run();
      } catch (SyncException | InterruptedException e) {
        throw new CompletionException(e);
      }
    });
    FrameLink source = transport.opener().open(0).link();
    source.send(frame);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> run.get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof SyncException, String.valueOf(e.getCause()));
    assertArrayEquals(before, target.contents(), "a refused frame changed the disk");
    assertEquals(1, transport.failuresTold.size(), "the source was not told why");
    return (SyncException) e.getCause();
  }

  @Test
  void aBlockIndexWhoseEndWrapsIsOutOfRange() throws Exception {
    byte[] before = new byte[16 * BLOCK];
    new Random(3).nextBytes(before);
    byte[] data = new byte[BLOCK];
    byte[] digest = new BlockDigester(DigestAlgorithm.XXH3_128, 7).digest(data, 0, BLOCK);
    for (long index : List.of(Long.MAX_VALUE)) {
      SyncException e = refused(SyncFrame.newBuilder().setBlock(BlockPayload.newBuilder()
          .setBlockIndex(index).setEncoding(BlockEncoding.UNCOMPRESSED)
          .setData(ByteString.copyFrom(data)).setRawLength(BLOCK)
          .setDigest(ByteString.copyFrom(digest))).build(), before);
      assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("outside the batch"), e.getMessage());
    }
  }

  @Test
  void aZeroRangeWhoseEndWrapsIsOutOfRange() throws Exception {
    byte[] before = new byte[16 * BLOCK];
    new Random(4).nextBytes(before);
    for (long first : List.of(Long.MAX_VALUE, Long.MAX_VALUE - 2)) {
      SyncException e = refused(SyncFrame.newBuilder().setZeros(ZeroRange.newBuilder()
          .setFirstBlock(first).setBlockCount(3)).build(), before);
      assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("outside the batch"), e.getMessage());
    }
  }
}
