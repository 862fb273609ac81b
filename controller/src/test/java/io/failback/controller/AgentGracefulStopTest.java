package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.disk.ForwardingBlockDevice;
import io.failback.common.sync.SessionGeometry;
import io.failback.common.sync.SyncProgress;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stopping the agent (SIGTERM, service stop) in the middle of a sync into its disk: the lanes
 * end at a batch boundary with every complete batch written, flushed and acknowledged, the
 * controller hears why, and the stop does not wait for the interrupt fallback.
 */
class AgentGracefulStopTest extends SyncGrpcTestBase {
  private static final long SIZE = 64L * MIB;

  @Test
  void stopInTheMiddleOfASyncAcknowledgesWhatIsDurableAndReportsTheStop() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    Path agentRaw = Path.of(disks.get(0).getPath());
    byte[] cloud = randomImage(SIZE, 11);
    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, SIZE).close();
    writeAll(cloudDisk, cloud);
    SyncParameters parameters = parameters("stop-1", SyncMode.FULL, SIZE).toBuilder()
        .setCompress(false).build();

    Map<Integer, LaneCheckpoint> acknowledged = new ConcurrentHashMap<>();
    CountDownLatch firstAck = new CountDownLatch(1);
    long stopMillis;
    try (BlockDevice local = new SlowReads(BlockDevices.open(cloudDisk, false))) {
      CompletableFuture<SyncOutcome> sync = controller.server.syncs().sync("hv-01",
          StartSync.newBuilder().setParameters(parameters).setAgentRole(SyncRole.TARGET)
              .setDiskPath(agentRaw.toString()).build(),
          local, Map.of(), checkpoint -> {
            acknowledged.put(checkpoint.getLane(), checkpoint);
            firstAck.countDown();
          }, new SyncProgress());
      assertTrue(firstAck.await(60, TimeUnit.SECONDS), "no batch was acknowledged");
      long start = System.nanoTime();
      agent.close();
      stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> sync.get(60, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("agent stopping"), e.getCause().toString());
    }
    // Well inside the 30 s grace: the lanes ended at a boundary, nothing was interrupted.
    assertTrue(stopMillis < Duration.ofSeconds(15).toMillis(), "stop took " + stopMillis + " ms");

    SessionGeometry geometry = SessionGeometry.of(parameters, 512);
    byte[] onPrem = readAll(agentRaw);
    long acknowledgedBlocks = 0;
    for (int lane = 0; lane < geometry.laneCount(); lane++) {
      long first = geometry.laneFirst(lane);
      LaneCheckpoint checkpoint = acknowledged.get(lane);
      long watermark = checkpoint == null ? first : checkpoint.getWatermarkBlock();
      assertTrue(watermark < geometry.laneEnd(lane), "lane " + lane + " finished: no stop test");
      acknowledgedBlocks += watermark - first;
      int from = (int) geometry.offsetOf(first);
      int to = (int) geometry.offsetOf(watermark);
      // Acknowledged means on the agent's disk: what a resumed session will not send again.
      assertArrayEquals(Arrays.copyOfRange(cloud, from, to), Arrays.copyOfRange(onPrem, from, to),
          "lane " + lane + " below its acknowledged watermark " + watermark);
    }
    assertTrue(acknowledgedBlocks > 0);
    assertEquals(0, acknowledgedBlocks % parameters.getBlocksPerBatch(), "whole batches");
  }

  /** A cloud disk that reads slowly, so the stop lands in the middle of the sync. */
  private static final class SlowReads extends ForwardingBlockDevice {
    SlowReads(BlockDevice inner) {
      super(inner);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
      try {
        Thread.sleep(40);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      inner.read(offset, dst);
    }

    @Override
    public boolean readUncached(long offset, ByteBuffer dst) throws IOException {
      read(offset, dst);
      return false;
    }

    @Override
    public boolean writable() {
      return false;
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
      throw new IOException("read-only");
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
      throw new IOException("read-only");
    }

    @Override
    public void flush() {}
  }
}
