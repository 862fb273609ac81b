package io.failback.common.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.UnsafeByteOperations;
import io.failback.common.sync.LinkException;
import io.failback.common.sync.SyncException;
import io.failback.proto.v1.BatchEnd;
import io.failback.proto.v1.BlockPayload;
import io.failback.proto.v1.SyncFrame;
import io.grpc.stub.CallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GrpcFrameLinkTest {
  /** The stream's side a link sees: records what it was asked for and what it wrote. */
  private static final class RecordingStream extends CallStreamObserver<SyncFrame> {
    final List<Integer> requests = new ArrayList<>();
    final List<SyncFrame> written = new ArrayList<>();
    /** What each written frame serialized to when it was written, as gRPC does in onNext. */
    final List<SyncFrame> onTheWire = new ArrayList<>();
    volatile boolean ready = true;
    /** Set: onNext throws it, as grpc does for a server call the peer's side cancelled. */
    volatile RuntimeException refusal;

    @Override
    public boolean isReady() {
      return ready;
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
      if (refusal != null) {
        throw refusal;
      }
      written.add(value);
      try {
        onTheWire.add(SyncFrame.parseFrom(value.toByteArray()));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
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

  /** A block frame whose bytes alias {@code buffer}, as a source's read buffer is sent. */
  private static SyncFrame borrowing(byte[] buffer) {
    return SyncFrame.newBuilder().setBlock(BlockPayload.newBuilder().setBlockIndex(7)
        .setData(UnsafeByteOperations.unsafeWrap(buffer, 0, buffer.length))).build();
  }

  private static byte[] filled(int value) {
    byte[] bytes = new byte[4096];
    java.util.Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  @Test
  void aServerWritesABorrowedBlockAtOnceWithoutCopyingIt() throws Exception {
    RecordingStream stream = new RecordingStream();
    GrpcFrameLink<SyncFrame> link = serverLink(stream);
    byte[] buffer = filled(1);
    SyncFrame frame = borrowing(buffer);
    link.sendBorrowed(frame);
    assertWrittenUncopied(stream, frame, buffer);
  }

  private static GrpcFrameLink<SyncFrame> serverLink(RecordingStream stream) {
    return new GrpcFrameLink<>(stream, f -> f, true);
  }

  /**
   * The lane refills its buffer once {@code sendBorrowed} returned: the frame written must be the
   * borrowed one itself, and what went on the wire the bytes the buffer held when it was sent.
   */
  private static void assertWrittenUncopied(RecordingStream stream, SyncFrame frame,
      byte[] buffer) {
    java.util.Arrays.fill(buffer, (byte) 2);
    assertSame(frame, stream.written.get(0), "copied");
    assertArrayEquals(filled(1), stream.onTheWire.get(0).getBlock().getData().toByteArray());
  }

  /** {@code link.sendBorrowed(frame)} on a lane thread of its own. */
  private static CompletableFuture<Void> sendingBorrowed(GrpcFrameLink<?> link, SyncFrame frame) {
    return CompletableFuture.runAsync(() -> {
      try {
        link.sendBorrowed(frame);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
  }

  @Test
  void aServerWaitsForTheTransportAndThenWritesABorrowedBlockWithoutCopyingIt()
      throws Exception {
    RecordingStream stream = new RecordingStream();
    GrpcFrameLink<SyncFrame> link = serverLink(stream);
    stream.ready = false;
    byte[] buffer = filled(1);
    SyncFrame frame = borrowing(buffer);
    CompletableFuture<Void> sent = sendingBorrowed(link, frame);
    // The lane reuses its buffer only once sendBorrowed returns: it must not return yet.
    Thread.sleep(100);
    assertFalse(sent.isDone(), "returned before the transport took the borrowed bytes");
    assertEquals(0, stream.written.size());
    stream.ready = true;
    link.onReady();
    sent.get(5, TimeUnit.SECONDS);
    assertWrittenUncopied(stream, frame, buffer);
  }

  @Test
  void aServerLaneWaitingToSendABorrowedBlockStopsWhenCancelled() throws Exception {
    RecordingStream stream = new RecordingStream();
    GrpcFrameLink<SyncFrame> link = serverLink(stream);
    stream.ready = false;
    CompletableFuture<Void> sent = sendingBorrowed(link, borrowing(filled(1)));
    Thread.sleep(50);
    link.cancel(new SyncException(SyncException.Kind.CANCELLED, "cancelled by the operator"));
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> sent.get(5, TimeUnit.SECONDS));
    assertInstanceOf(SyncException.class, e.getCause());
    assertTrue(stream.written.stream().noneMatch(SyncFrame::hasBlock), "the block was sent");
  }

  /**
   * A cut connection cancels the server call before the lane hears of it, and grpc's onNext
   * then throws: the lane must see the link end (the session resumes), not fail with it.
   */
  @Test
  void aCallCancelledUnderASendingLaneIsALinkThatEnded() throws Exception {
    RecordingStream stream = new RecordingStream();
    stream.refusal = io.grpc.Status.CANCELLED.withDescription("call already cancelled. Use"
        + " ServerCallStreamObserver.setOnCancelHandler() to disable this exception")
        .asRuntimeException();
    GrpcFrameLink<SyncFrame> borrowing = serverLink(stream);
    LinkException cut = assertThrows(LinkException.class,
        () -> borrowing.sendBorrowed(borrowing(filled(2))));
    assertTrue(cut.getMessage().contains("call already cancelled"), cut.getMessage());
    assertThrows(LinkException.class, borrowing::receive);

    GrpcFrameLink<SyncFrame> queued = serverLink(stream);
    assertThrows(LinkException.class, () -> queued.send(frame(1)));
    assertThrows(LinkException.class, () -> queued.send(frame(2)));
    assertTrue(stream.written.isEmpty(), stream.written.toString());
  }

  @Test
  void aClientCopiesABorrowedBlockEvenWhenReady() throws Exception {
    // A client call may keep a message to replay it on a new stream after it was written.
    RecordingStream stream = new RecordingStream();
    GrpcFrameLink<SyncFrame> link = new GrpcFrameLink<>(stream, f -> f, false);
    byte[] buffer = filled(1);
    SyncFrame frame = borrowing(buffer);
    link.sendBorrowed(frame);
    java.util.Arrays.fill(buffer, (byte) 2);
    assertNotSame(frame, stream.written.get(0));
    assertArrayEquals(filled(1), stream.written.get(0).getBlock().getData().toByteArray());
  }

  @Test
  void aBorrowedFrameIsNotWrittenAheadOfFramesAlreadyWaiting() throws Exception {
    RecordingStream stream = new RecordingStream();
    GrpcFrameLink<SyncFrame> link = serverLink(stream);
    stream.ready = false;
    link.send(frame(1));
    stream.ready = true;
    link.sendBorrowed(borrowing(filled(3)));
    assertEquals(2, stream.written.size());
    assertTrue(stream.written.get(0).hasBatchEnd(), "the waiting frame first");
    assertTrue(stream.written.get(1).hasBlock());
  }
}
