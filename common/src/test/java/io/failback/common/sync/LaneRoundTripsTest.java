package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.ForwardingFrameLink;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a lane waits for before it goes on. Over a WAN each wait is a round trip: a DELTA batch
 * is acknowledged two round trips after its digests leave, so the window of batches in flight
 * sets how fast a checksum pass goes, and the lane's end need not wait for the last
 * acknowledgements.
 */
class LaneRoundTripsTest {
  private static final int BLOCK = 4096;

  @ParameterizedTest
  @ValueSource(ints = {1, 8, 64})
  void aChecksumPassSendsTheWholeWindowBeforeItWaitsForAnAnswer(int window) throws Exception {
    assertEquals(window, batchesBeforeTheFirstWait(SyncMode.DELTA, false, window));
  }

  @Test
  void batchesOfZerosFillTheWholeWindowToo() throws Exception {
    assertEquals(64, batchesBeforeTheFirstWait(SyncMode.FULL, true, 64));
  }

  @Test
  void trackedBatchesTheGuestDidNotWriteFillTheWholeWindow(@TempDir Path dir) throws Exception {
    Session recording = new Session(SyncMode.DELTA, 100, 64, false);
    recording.digestSets = dir;
    recording.run();
    // Then one block changes, and the tracking says so: 99 of the 100 batches carry nothing.
    Session tracked = new Session(SyncMode.TRACKED, 100, 64, false);
    tracked.digestSets = dir;
    tracked.data[42 * BLOCK] ^= 1;
    tracked.changed.set(42);
    tracked.onTarget.write(0, java.nio.ByteBuffer.wrap(recording.data));
    assertEquals(64, batchesBeforeTheFirstWait(tracked));
  }

  @Test
  void batchesOfBlocksStopAtEightBatchesWorthOfBytes() throws Exception {
    // A batch here is one 4 KiB block, its frame a little more: 8 of them pass 32 KiB, 7 not.
    assertEquals(LaneSource.BLOCK_BATCHES_IN_FLIGHT,
        batchesBeforeTheFirstWait(SyncMode.FULL, false, 64));
  }

  /** Batches the source sent (digests, or a batch's end) before it first waited for one back. */
  private static int batchesBeforeTheFirstWait(SyncMode mode, boolean zeros, int window)
      throws Exception {
    return batchesBeforeTheFirstWait(new Session(mode, 100, window, zeros));
  }

  private static int batchesBeforeTheFirstWait(Session session) throws Exception {
    AtomicInteger batchesSent = new AtomicInteger();
    List<Integer> sentWhenFirstWaiting = new CopyOnWriteArrayList<>();
    CountDownLatch sourceWaits = new CountDownLatch(1);
    session.source = link -> new ForwardingFrameLink(link) {
      @Override
      public void send(SyncFrame frame)
          throws SyncException, LinkException, InterruptedException {
        if (frame.hasChecksums() || frame.hasBatchEnd()) {
          batchesSent.incrementAndGet();
        }
        super.send(frame);
      }

      @Override
      public SyncFrame receive() throws SyncException, LinkException, InterruptedException {
        if (sourceWaits.getCount() > 0) {
          sentWhenFirstWaiting.add(batchesSent.get());
          sourceWaits.countDown();
        }
        return super.receive();
      }
    };
    // The target answers nothing until the source has had to wait for an answer.
    session.target = link -> new ForwardingFrameLink(link) {
      @Override
      public void send(SyncFrame frame)
          throws SyncException, LinkException, InterruptedException {
        sourceWaits.await();
        super.send(frame);
      }
    };
    session.run();
    assertEquals(1, sentWhenFirstWaiting.size(), "the source never waited");
    return sentWhenFirstWaiting.get(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"FULL", "DELTA"})
  void theLaneEndLeavesBehindTheLastBatchNotAfterItsAcknowledgement(String mode)
      throws Exception {
    CountDownLatch laneEndSent = new CountDownLatch(1);
    List<String> acknowledgementsHeldInVain = new CopyOnWriteArrayList<>();
    Session session = new Session(SyncMode.valueOf(mode), 8, 8);
    session.source = link -> new ForwardingFrameLink(link) {
      @Override
      public void send(SyncFrame frame)
          throws SyncException, LinkException, InterruptedException {
        super.send(frame);
        if (frame.hasLaneEnd()) {
          laneEndSent.countDown();
        }
      }
    };
    // Every acknowledgement waits for the lane's end: a source that waited for them first
    // would wait until this gives up.
    session.target = link -> new ForwardingFrameLink(link) {
      @Override
      public void send(SyncFrame frame)
          throws SyncException, LinkException, InterruptedException {
        if (frame.hasAck() && !laneEndSent.await(5, TimeUnit.SECONDS)) {
          acknowledgementsHeldInVain.add("block " + frame.getAck().getWatermarkBlock());
        }
        super.send(frame);
      }
    };
    session.run();

    assertEquals(List.of(), acknowledgementsHeldInVain,
        "acknowledgements the source waited for before it sent the lane's end");
  }

  @Test
  @Timeout(30) // a source that waited for acknowledgements first would wait for ever
  void aVerdictBeforeTheLastAcknowledgementIsRefused() throws Exception {
    Session session = new Session(SyncMode.FULL, 8, 8);
    // A target that drops its acknowledgements still sends its verdict at the lane's end.
    session.target = link -> new ForwardingFrameLink(link) {
      @Override
      public void send(SyncFrame frame)
          throws SyncException, LinkException, InterruptedException {
        if (!frame.hasAck()) {
          super.send(frame);
        }
      }
    };
    SyncException e = assertThrows(SyncException.class, session::run);
    assertEquals(SyncException.Kind.FAILED_PRECONDITION, e.kind(), e.getMessage());
    assertTrue(e.getMessage().contains(
        "verified the lane with batch [0, +1) unacknowledged"), e.getMessage());
  }

  /**
   * One lane, a block per batch, from a source (random or all zeros) to a target that differs
   * in one block.
   */
  private static final class Session {
    private final SyncParameters parameters;
    final byte[] data;
    final MemoryBlockDevice onTarget;
    /** Where both sides keep their digest sets (each in a folder of its own), or null. */
    Path digestSets;
    /** A TRACKED source's blocks written since its digest set was recorded. */
    final BitSet changed = new BitSet();
    /** Wraps the source's end of the lane. */
    Function<FrameLink, FrameLink> source = link -> link;
    /** Wraps the target's end of the lane. */
    Function<FrameLink, FrameLink> target = link -> link;

    Session(SyncMode mode, int blocks, int window) {
      this(mode, blocks, window, false);
    }

    Session(SyncMode mode, int blocks, int window, boolean zeros) {
      data = new byte[blocks * BLOCK];
      if (!zeros) {
        new Random(blocks + window).nextBytes(data);
      }
      byte[] before = data.clone();
      before[5 * BLOCK] ^= 1;
      onTarget = new MemoryBlockDevice(before, 512, true);
      parameters = SyncParameters.newBuilder().setSessionId("round-trips").setMode(mode)
          .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(3).setBlockSize(BLOCK)
          .setBlocksPerBatch(1).setDiskSize(data.length).setLaneCount(1)
          .setWindowBatches(window).setDigestSet("round-trips").build();
    }

    /** Runs both sides, one attempt each; the target must then hold the source's bytes. */
    void run() throws Exception {
      MemoryTransport transport = MemoryTransport.reliable();
      LaneConnector opener = lane -> wrap(transport.opener().open(lane), source);
      LaneConnector acceptor = lane -> wrap(transport.acceptor().open(lane), target);
      SyncParameters asked = digestSets == null
          ? parameters.toBuilder().clearDigestSet().build() : parameters;
      DiskSync sourceSide = new DiskSync(asked, SyncRole.SOURCE,
          new MemoryBlockDevice(data, 512, false), opener, checkpoint -> {},
          new SyncProgress(), 1, Duration.ofMillis(1), options("source", changed));
      DiskSync targetSide = new DiskSync(asked, SyncRole.TARGET, onTarget, acceptor,
          transport::durable, new SyncProgress(), 1, Duration.ofMillis(1),
          options("target", null));
      CompletableFuture<DiskSync.Result> targetRun = CompletableFuture.supplyAsync(() -> {
        try {
          return targetSide.run();
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      });
      try {
        sourceSide.run();
      } finally {
        try {
          targetRun.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          // The source's failure is the one asserted on; the target only saw the lane end.
        }
      }
      assertArrayEquals(data, onTarget.contents());
    }

    private DiskSync.Options options(String side, BitSet changedBlocks) {
      return digestSets == null ? DiskSync.Options.NONE
          : new DiskSync.Options(new DigestSets(digestSets.resolve(side)),
              parameters.getMode() == SyncMode.TRACKED ? changedBlocks : null);
    }

    private static LaneConnector.OpenLane wrap(LaneConnector.OpenLane open,
        Function<FrameLink, FrameLink> how) {
      return new LaneConnector.OpenLane(how.apply(open.link()), open.start());
    }
  }
}
