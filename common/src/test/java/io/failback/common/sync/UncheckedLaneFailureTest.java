package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.ForwardingFrameLink;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A lane that fails with an unchecked exception (a bug, or hostile input no check caught yet):
 * the session fails as before (a DISK error naming the exception), and the lane's peer is told,
 * so that its stream does not stay open.
 */
class UncheckedLaneFailureTest {
  @Test
  void anUncheckedFailureFailsTheLanesLink() throws Exception {
    int size = 16 * 4096;
    SyncParameters parameters = SyncParameters.newBuilder().setSessionId("unchecked")
        .setMode(SyncMode.FULL).setDigestAlgorithm(io.failback.proto.v1.DigestAlgorithm.XXH3_128)
        .setDigestSeed(7).setBlockSize(4096).setBlocksPerBatch(4).setDiskSize(size)
        .setLaneCount(1).setWindowBatches(2).build();
    MemoryTransport transport = MemoryTransport.reliable();
    LaneConnector acceptor = transport.acceptor();
    // The target's link throws on its first frame, as a hostile frame's unchecked error would.
    LaneConnector throwing = lane -> {
      LaneConnector.OpenLane open = acceptor.open(lane);
      return new LaneConnector.OpenLane(new ForwardingFrameLink(open.link()) {
        @Override
        public SyncFrame receive() throws SyncException, LinkException, InterruptedException {
          super.receive();
          throw new IndexOutOfBoundsException("hostile index");
        }
      }, open.start());
    };
    CompletableFuture<DiskSync.Result> run = CompletableFuture.supplyAsync(() -> {
      try {
        return new DiskSync(parameters, SyncRole.TARGET, new MemoryBlockDevice(new byte[size],
            512, true), throwing, transport::durable, new SyncProgress(), 1,
            Duration.ofMillis(1)).run();
      } catch (SyncException | InterruptedException e) {
        throw new CompletionException(e);
      }
    });
    FrameLink source = transport.opener().open(0).link();
    source.send(SyncFrame.newBuilder().setBatchEnd(io.failback.proto.v1.BatchEnd.newBuilder())
        .build());
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> run.get(30, TimeUnit.SECONDS));
    SyncException failure = (SyncException) e.getCause();
    assertEquals(SyncException.Kind.DISK, failure.kind(), failure.getMessage());
    assertTrue(failure.getMessage().contains("lane failed: java.lang.IndexOutOfBoundsException"),
        failure.getMessage());
    assertEquals(1, transport.failuresTold.size(), "the peer was not told");
    SyncException told = assertThrows(SyncException.class, source::receive);
    assertTrue(told.remote() && told.getMessage().contains("IndexOutOfBoundsException"),
        told.getMessage());
  }
}
