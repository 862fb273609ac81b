package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.RawCalls;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.SyncDiskRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host, over real mutual TLS, that opens stream after stream for a lane its
 * session runs: the controller queues no more for one lane than a legitimate agent ever opens
 * (one per broken link, up to its attempts), refuses the rest RESOURCE_EXHAUSTED, and the
 * session itself carries on.
 */
class QueuedLaneStreamsTest {
  private static final String ROGUE = "hv-67";
  /** Streams the controller queues for one lane (SyncStreams.MAX_QUEUED_PER_LANE). */
  private static final int QUEUED = 20;
  private static final int EXTRA = QUEUED + 5;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void streamsQueuedForOneLaneAreCapped() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    RogueAgent rogue = RogueHost.start(fixture, cleanup, dir, ROGUE, "evil-02",
        fixture.controller.port());
    Map<ClientCall<?, ?>, SyncDiskRequest> opens = new ConcurrentHashMap<>();
    List<Status> extras = new CopyOnWriteArrayList<>();
    AtomicBoolean staged = new AtomicBoolean();
    rogue.sent = (request, call) -> {
      if (request.hasOpen()) {
        opens.put(call, request);
        return;
      }
      // Frames flow: the lane's thread runs this stream. Stream after stream for its lane.
      if (!staged.compareAndSet(false, true)) {
        return;
      }
      for (int i = 0; i < EXTRA; i++) {
        ClientCall<byte[], byte[]> extra = rogue.channel().newCall(RawCalls.raw(
            AgentServiceGrpc.getSyncDiskMethod()), CallOptions.DEFAULT);
        extra.start(new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            extras.add(status);
          }
        }, new Metadata());
        extra.request(1);
        extra.sendMessage(opens.get(call).toByteArray());
      }
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (extras.size() < EXTRA - QUEUED && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
    };
    RogueHost.protect(fixture, ROGUE, JobState.JOB_SUCCEEDED);
    assertTrue(staged.get(), "no stream was staged");
    assertEquals(EXTRA - QUEUED, extras.stream()
        .filter(s -> s.getCode() == Status.Code.RESOURCE_EXHAUSTED).count(), extras::toString);
  }
}
