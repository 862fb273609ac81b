package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.LaneAbort;
import io.failback.proto.v1.SyncFrame;
import io.grpc.ClientCall;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host, over real mutual TLS, aborts one lane of its upload (its engine goes on
 * as if it had not): the controller ends its side of that lane's stream, and of every other
 * stream of the session once the session is over, instead of leaving each call open until
 * the agent ends it.
 */
class AbortedLaneStreamsTest {
  private static final String ROGUE = "hv-68";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theControllerEndsTheStreamsOfAnAbortedSession() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    RogueAgent rogue = RogueHost.start(fixture, cleanup, dir, ROGUE, "evil-03",
        fixture.controller.port());
    AtomicBoolean aborted = new AtomicBoolean();
    rogue.frames = frame -> frame.hasBatchEnd() && aborted.compareAndSet(false, true)
        ? SyncFrame.newBuilder().setAbort(LaneAbort.newBuilder().setKind("DATA_LOSS")
            .setMessage("the rogue gives up")).build() : frame;
    Set<ClientCall<?, ?>> opened = ConcurrentHashMap.newKeySet();
    rogue.sent = (request, call) -> {
      if (request.hasOpen()) {
        opened.add(call);
      }
    };
    RogueHost.protect(fixture, ROGUE, JobState.JOB_FAILED);
    assertTrue(aborted.get(), "no lane was aborted");
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (rogue.syncStatuses.size() < opened.size()) {
      assertTrue(System.nanoTime() < deadline, () -> "the controller left "
          + (opened.size() - rogue.syncStatuses.size()) + " of the session's " + opened.size()
          + " streams open: " + rogue.syncStatuses);
      Thread.sleep(50);
    }
  }
}
