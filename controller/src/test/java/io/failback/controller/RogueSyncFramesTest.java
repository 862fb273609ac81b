package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.RawCalls;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.LaneAbort;
import io.failback.proto.v1.LaneEnd;
import io.failback.proto.v1.SyncFrame;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host's data streams, over real mutual TLS, while it uploads its own VM
 * (protection: the agent is the source): whatever text or bytes its frames carry, what the
 * controller keeps of them in the job (errors, task errors, the timeline) is bounded, as a
 * command result's error is (CommandResultValidator), and the job fails.
 */
class RogueSyncFramesTest {
  private static final String ROGUE = "hv-66";
  /** Within the 4 MiB message limit, far beyond anything the controller should store. */
  private static final int HUGE = 3 << 20;
  /** Generous: the controller's own words around what it echoes. */
  private static final int BOUND = 16 << 10;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private LifecycleFixture fixture;
  /** Set before {@link #protect}: the rogue host dials the controller through {@link #proxy}. */
  private boolean viaProxy;
  private CuttingProxy proxy;

  /** Protects the rogue host's VM with its first frame {@code which} picks changed. */
  private Job protectWith(java.util.function.Predicate<SyncFrame> which,
      UnaryOperator<SyncFrame> change) throws Exception {
    return protect(which, change, rogue -> { }, JobState.JOB_FAILED);
  }

  /** Protects the rogue host's VM as {@link #protectWith}, the rogue set up by {@code hooks}. */
  private Job protect(java.util.function.Predicate<SyncFrame> which,
      UnaryOperator<SyncFrame> change, java.util.function.Consumer<RogueAgent> hooks,
      JobState expected) throws Exception {
    fixture = new LifecycleFixture(dir, cleanup);
    int port = fixture.controller.port();
    if (viaProxy) {
      proxy = cleanup.register(new CuttingProxy(port, List.of()));
      port = proxy.port();
    }
    RogueAgent rogue = RogueHost.start(fixture, cleanup, dir, ROGUE, "evil-01", port);
    AtomicBoolean done = new AtomicBoolean();
    rogue.frames = frame -> which != null && which.test(frame) && done.compareAndSet(false, true)
        ? change.apply(frame) : frame;
    hooks.accept(rogue);
    Job job = RogueHost.protect(fixture, ROGUE, expected);
    assertTrue(which == null || done.get(), "no frame was changed");
    return job;
  }

  private static void assertBounded(Job job) {
    List<String> texts = new ArrayList<>(job.getErrorsList());
    job.getTasksList().stream().map(JobTask::getError).forEach(texts::add);
    job.getTimelineList().stream().map(JobStep::getDescription).forEach(texts::add);
    for (String text : texts) {
      assertTrue(text.length() <= BOUND, () -> "the job keeps " + text.length()
          + " characters: " + text.substring(0, Math.min(200, text.length())));
    }
    assertTrue(job.getSerializedSize() < 16 * BOUND, "the job is "
        + job.getSerializedSize() + " bytes");
  }

  @Test
  void anAbortsMessageIsBoundedInTheJob() throws Exception {
    assertBounded(protectWith(SyncFrame::hasBatchEnd, frame -> SyncFrame.newBuilder()
        .setAbort(LaneAbort.newBuilder().setKind("DATA_LOSS").setMessage("x".repeat(HUGE)))
        .build()));
  }

  /** A newline forged a log record; ESC and OSC sequences reached the operator's terminal. */
  @Test
  void anAbortsControlCharactersAreEscapedInTheJob() throws Exception {
    Job job = protectWith(SyncFrame::hasBatchEnd, frame -> SyncFrame.newBuilder()
        .setAbort(LaneAbort.newBuilder().setKind("DATA_LOSS").setMessage("disk gone\n"
            + "2026-12-08T00:00:00Z INFO forged\u001b[2J\u001b]0;owned\u0007\u202e")).build());
    List<String> texts = new ArrayList<>(job.getErrorsList());
    job.getTasksList().stream().map(JobTask::getError).forEach(texts::add);
    job.getTimelineList().stream().map(JobStep::getDescription).forEach(texts::add);
    assertTrue(texts.stream().anyMatch(t -> t.contains("disk gone\\n2026-12-08T00:00:00Z"
        + " INFO forged\\u{001b}[2J\\u{001b}]0;owned\\u{0007}\\u{202e}")), texts.toString()
        .replaceAll("\\p{Cntrl}", "?"));
    for (String text : texts) {
      assertTrue(text.codePoints().noneMatch(c -> Character.isISOControl(c) || c == 0x202e),
          () -> "an invisible character passed: " + text.replaceAll("\\p{Cntrl}", "?"));
    }
  }

  @Test
  void aLaneEndsChainIsBoundedInTheJob() throws Exception {
    assertBounded(protectWith(SyncFrame::hasLaneEnd, frame -> SyncFrame.newBuilder()
        .setLaneEnd(LaneEnd.newBuilder().setChain(ByteString.copyFrom(new byte[HUGE])))
        .build()));
  }

  @Test
  void aBlocksDigestIsBoundedInTheJob() throws Exception {
    assertBounded(protectWith(SyncFrame::hasBlock, frame -> frame.toBuilder().setBlock(
        frame.getBlock().toBuilder().setDigest(ByteString.copyFrom(new byte[HUGE]))).build()));
  }

  @Test
  void aQueuedStreamThatWasCancelledIsABrokenLinkNotAFailedSession() throws Exception {
    // Lane 0's stream runs; a second stream for it waits in the queue and is cancelled there
    // (its connection dropped); then the running one breaks. The lane resumes: the cancelled
    // stream it takes first is one more broken link, and the agent's next stream carries on.
    AtomicBoolean staged = new AtomicBoolean();
    viaProxy = true;
    Job job = protect(null, frame -> frame, rogue -> rogue.sent = (request, call) -> {
      if (!request.hasOpen() || !staged.compareAndSet(false, true)) {
        return;
      }
      try {
        Thread.sleep(300); // the lane's thread takes this stream: the next one waits
        io.grpc.ManagedChannel direct = io.grpc.Grpc.newChannelBuilder("localhost:"
            + fixture.controller.port(), io.failback.common.grpc.TlsMaterial.load(
                fixture.controller.pki.agent(ROGUE), true).channelCredentials()).build();
        io.grpc.ClientCall<byte[], byte[]> queued = direct.newCall(RawCalls.raw(
            AgentServiceGrpc.getSyncDiskMethod()), io.grpc.CallOptions.DEFAULT);
        queued.start(new io.grpc.ClientCall.Listener<>() { }, new io.grpc.Metadata());
        queued.sendMessage(request.toByteArray());
        Thread.sleep(300);
        queued.cancel("its connection dropped", null);
        Thread.sleep(300);
        direct.shutdownNow();
        proxy.cutNow();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, JobState.JOB_SUCCEEDED);
    assertTrue(staged.get(), "no stream was staged");
    assertTrue(proxy.cuts.get() == 1 && job.getTimelineList().stream().noneMatch(
        step -> step.getDescription().contains("lane failed")), job::toString);
  }
}
