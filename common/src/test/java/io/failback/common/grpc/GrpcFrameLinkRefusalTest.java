package io.failback.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.sync.SyncException;
import io.failback.proto.v1.BatchEnd;
import io.failback.proto.v1.SyncFrame;
import io.grpc.Status;
import io.grpc.stub.CallStreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A server refusing a call the peer broke the protocol on (a second SyncOpen mid-lane) while
 * the lane's thread writes to it: a call's observer is not thread-safe, so the refusal waits
 * for the write under the link's lock, and the call is ended once.
 */
class GrpcFrameLinkRefusalTest {
  /** Records every call, and any that began while another was still in progress. */
  private static final class ExclusiveStream extends CallStreamObserver<SyncFrame> {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<String> overlaps = new CopyOnWriteArrayList<>();
    final CountDownLatch writing = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final AtomicBoolean busy = new AtomicBoolean();

    private void enter(String call) {
      calls.add(call);
      if (!busy.compareAndSet(false, true)) {
        overlaps.add(call);
      }
    }

    @Override
    public void onNext(SyncFrame value) {
      enter("onNext");
      writing.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      busy.set(false);
    }

    @Override
    public void onError(Throwable t) {
      enter("onError " + Status.fromThrowable(t).getCode());
      busy.set(false);
    }

    @Override
    public void onCompleted() {
      enter("onCompleted");
      busy.set(false);
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}
  }

  @Test
  void aRefusalWaitsForTheWriteInProgressAndEndsTheCallOnce() throws Exception {
    ExclusiveStream stream = new ExclusiveStream();
    GrpcFrameLink<SyncFrame> link = new GrpcFrameLink<>(stream, frame -> frame, true);
    SyncFrame frame = SyncFrame.newBuilder().setBatchEnd(BatchEnd.newBuilder()).build();
    Thread lane = new Thread(() -> link.sendHandshake(frame));
    lane.start();
    assertTrue(stream.writing.await(30, TimeUnit.SECONDS), "the lane never wrote");
    Thread refusing = new Thread(() -> link.refuse(Status.INVALID_ARGUMENT.withDescription(
        "a SyncDisk stream starts with exactly one SyncOpen")));
    refusing.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (refusing.getState() != Thread.State.BLOCKED && refusing.isAlive()) {
      assertTrue(System.nanoTime() < deadline, "the refusal neither waited nor ended");
      Thread.sleep(5);
    }
    stream.release.countDown();
    refusing.join(30_000);
    lane.join(30_000);
    link.refuse(Status.INVALID_ARGUMENT); // a second refusal ends nothing twice
    assertEquals(List.of(), stream.overlaps, "two threads used the call at once");
    assertEquals(List.of("onNext", "onError INVALID_ARGUMENT"), stream.calls);
    SyncException e = assertThrows(SyncException.class, link::receive);
    assertEquals(SyncException.Kind.INVALID_ARGUMENT, e.kind(), e.getMessage());
  }
}
