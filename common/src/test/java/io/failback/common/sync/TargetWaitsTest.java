package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.ForwardingBlockDevice;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A target's lanes say how long they waited for the source's next frame and how long they ran:
 * the controller tells an upload held back by its own writing from one held back by the link.
 * Over a real session in one process: a target that writes slowly seldom waits for a frame, one
 * fed by a slow source mostly does.
 */
class TargetWaitsTest {
  private static final int BLOCK = 64 * 1024;
  private static final int BLOCKS = 48;

  @Test
  void aTargetThatWritesSlowlySeldomWaitsForAFrame() throws Throwable {
    SyncActivity.Snapshot target = run(false);
    assertTrue(target.targetLaneNanos() > 0, target.toString());
    assertTrue(target.frameWaitNanos() * 2 < target.targetLaneNanos(), target.toString());
  }

  @Test
  void aTargetFedByASlowSourceMostlyWaitsForFrames() throws Throwable {
    SyncActivity.Snapshot target = run(true);
    assertTrue(target.targetLaneNanos() > 0, target.toString());
    assertTrue(target.frameWaitNanos() * 2 >= target.targetLaneNanos(), target.toString());
  }

  /** A full session of random blocks, 5 ms a block on the source's reads or target's writes. */
  private static SyncActivity.Snapshot run(boolean slowSource) throws Throwable {
    byte[] source = new byte[BLOCKS * BLOCK];
    new Random(7).nextBytes(source);
    byte[] target = new byte[source.length];
    SyncHarness harness = new SyncHarness();
    BlockDevice from = new MemoryBlockDevice(source, 512, false);
    BlockDevice to = new MemoryBlockDevice(target, 512, true);
    harness.run(parameters(), slowSource ? new Slow(from) : from,
        slowSource ? to : new Slow(to), new MemoryTransport(() -> Integer.MAX_VALUE));
    assertArrayEquals(source, target);
    return harness.targetProgress.activity().snapshot();
  }

  private static SyncParameters parameters() {
    return SyncParameters.newBuilder().setSessionId("target-waits").setMode(SyncMode.FULL)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(3).setBlockSize(BLOCK)
        .setBlocksPerBatch(4).setDiskSize((long) BLOCKS * BLOCK).setLaneCount(1)
        .setWindowBatches(4).build();
  }

  /** 5 ms for every block read or written. */
  private static final class Slow extends ForwardingBlockDevice {
    Slow(BlockDevice inner) {
      super(inner);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
      pause(dst.remaining());
      super.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
      pause(src.remaining());
      super.write(offset, src);
    }

    private static void pause(int bytes) throws IOException {
      try {
        Thread.sleep(5L * Math.max(1, bytes / BLOCK));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }
}
