package io.failback.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.BatchEnd;
import io.failback.proto.v1.SyncFrame;
import io.grpc.stub.CallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrpcFrameLinkTest {
  /** The stream's side a link sees: records what it was asked for and what it wrote. */
  private static final class RecordingStream extends CallStreamObserver<SyncFrame> {
    final List<Integer> requests = new ArrayList<>();
    final List<SyncFrame> written = new ArrayList<>();

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {
      requests.add(count);
    }

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public void onNext(SyncFrame value) {
      written.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    int requested() {
      return requests.stream().mapToInt(Integer::intValue).sum();
    }
  }

  private static SyncFrame frame(long block) {
    return SyncFrame.newBuilder().setBatchEnd(BatchEnd.newBuilder().setFirstBlock(block)).build();
  }

  @Test
  void framesAreRequestedAgainInGroupsAndThePeerIsNeverLeftWithoutRequests() throws Exception {
    RecordingStream stream = new RecordingStream();
    GrpcFrameLink<SyncFrame> link = new GrpcFrameLink<>(stream, f -> f, false);
    link.start();
    assertEquals(List.of(GrpcFrameLink.INBOUND_WINDOW), stream.requests);
    int delivered = 0;
    for (int taken = 0; taken < 100; taken++) {
      // The peer sends whatever was requested and not yet sent.
      while (delivered < stream.requested()) {
        link.onFrame(frame(delivered++));
      }
      assertEquals(taken, link.receive().getBatchEnd().getFirstBlock());
      int stillRequested = stream.requested() - delivered;
      int buffered = delivered - taken - 1;
      assertTrue(buffered + stillRequested >= GrpcFrameLink.INBOUND_WINDOW
          - GrpcFrameLink.REQUEST_BATCH, "the lane runs dry at frame " + taken);
      assertTrue(buffered + stillRequested <= GrpcFrameLink.INBOUND_WINDOW,
          "more than the window asked for at frame " + taken);
    }
    // One request per REQUEST_BATCH frames taken (a task on the transport's thread each),
    // not one per frame.
    assertEquals(1 + 100 / GrpcFrameLink.REQUEST_BATCH, stream.requests.size());
    assertTrue(stream.requests.subList(1, stream.requests.size()).stream()
        .allMatch(n -> n == GrpcFrameLink.REQUEST_BATCH));
  }
}
