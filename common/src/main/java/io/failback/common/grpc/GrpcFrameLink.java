package io.failback.common.grpc;

import io.failback.common.sync.FrameLink;
import io.failback.common.sync.LinkException;
import io.failback.common.sync.SyncException;
import io.failback.proto.v1.LaneAbort;
import io.failback.proto.v1.SyncFrame;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.CallStreamObserver;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A sync lane over one gRPC stream, client or server side, with explicit flow control both
 * ways.
 *
 * <p>Outbound frames wait in a small queue and are written only while the transport is ready
 * (from {@link #onReady()} or the sending thread), so a slow peer slows the disk reader
 * instead of filling memory. Inbound, messages are requested as the lane consumes frames, so
 * at most {@link #INBOUND_WINDOW} frames are ever buffered. gRPC threads never block here:
 * they only enqueue, poll and write while ready.
 */
public final class GrpcFrameLink<OutT> implements FrameLink {
  /**
   * Bytes a stream may buffer before it reports not ready: above one 64 KiB block, so the
   * next block is queued while the previous one is on the wire instead of after a callback.
   */
  public static final int ON_READY_THRESHOLD = 1 << 20;

  /** Frames requested ahead from the peer. */
  static final int INBOUND_WINDOW = 16;
  /**
   * Frames consumed before they are requested again, together: each request is a task on the
   * transport's thread, and one per frame was a thread wake-up per 64 KiB block. At least
   * {@code INBOUND_WINDOW - REQUEST_BATCH} frames stay requested, so the peer never waits.
   */
  static final int REQUEST_BATCH = INBOUND_WINDOW / 2;
  private static final int OUTBOUND_CAPACITY = 16;
  private static final Object END = new Object();

  private final CallStreamObserver<OutT> out;
  private final Function<SyncFrame, OutT> wrap;
  private final boolean serverSide;
  private final BlockingQueue<SyncFrame> outbound = new ArrayBlockingQueue<>(OUTBOUND_CAPACITY);
  private final BlockingQueue<Object> inbound = new LinkedBlockingQueue<>();
  private volatile Exception terminal;
  /** Set when the call refused a frame because the peer's side had ended it. */
  private volatile LinkException refused;
  private boolean closed;
  /** Frames the lane took since the last request (the lane's thread only). */
  private int unrequested;

  /**
   * Wraps a stream whose inbound auto-request is disabled.
   *
   * @param out the stream's outbound side, which also grants inbound messages
   * @param serverSide whether this is the server end (which can close with a status)
   */
  public GrpcFrameLink(CallStreamObserver<OutT> out, Function<SyncFrame, OutT> wrap,
      boolean serverSide) {
    this.out = out;
    this.wrap = wrap;
    this.serverSide = serverSide;
  }

  /**
   * Writes a message that is not a frame (the open handshake) under the link's write lock. A
   * stream the peer's side ended while it waited to be taken (a dropped connection) refuses it
   * as {@link #write} is refused: the link has ended, and the lane resumes on the next stream.
   */
  public synchronized void sendHandshake(OutT message) {
    if (!closed) {
      try {
        out.onNext(message);
      } catch (StatusRuntimeException | IllegalStateException gone) {
        ended("the stream ended before its handshake: " + gone.getMessage());
      }
    }
  }

  /** Asks the peer for the first frames; call once the stream is set up. */
  public void start() {
    out.request(INBOUND_WINDOW);
  }

  /** A frame arrived (gRPC thread). */
  public void onFrame(SyncFrame frame) {
    inbound.add(frame);
  }

  /** The peer failed the stream (gRPC thread). */
  public void onPeerError(Throwable t) {
    terminal = fromStatus(Status.fromThrowable(t));
    inbound.add(END);
  }

  /**
   * Ends a server call whose peer broke the protocol (a second SyncOpen in the middle of a
   * lane) with {@code status}, under the write lock: the lane's thread may be writing to the
   * call meanwhile, and a call's observer is not thread-safe. The lane then ends as if the peer
   * had failed the stream with that status; a call already ended is not ended again.
   */
  public synchronized void refuse(Status status) {
    if (!closed) {
      closed = true;
      try {
        out.onError(status.asRuntimeException());
      } catch (StatusRuntimeException | IllegalStateException gone) {
        // The call already ended (the peer cancelled it): there is no one left to tell.
      }
    }
    onPeerError(status.asRuntimeException());
  }

  /** The peer ended its side (gRPC thread). */
  public void onPeerCompleted() {
    if (terminal == null) {
      terminal = new LinkException("the peer ended the stream");
    }
    inbound.add(END);
  }

  /** The transport can take more (gRPC thread). */
  public void onReady() {
    drain();
  }

  @Override
  public void send(SyncFrame frame) throws SyncException, LinkException, InterruptedException {
    while (!outbound.offer(frame, 20, TimeUnit.MILLISECONDS)) {
      throwIfEnded();
    }
    throwIfEnded();
    drain();
    throwIfRefused();
  }

  /**
   * On the server end the lane waits until nothing is queued before the frame and the
   * transport is ready, then writes it: gRPC serializes a server's message into the
   * transport's buffers before {@code onNext} returns, so the borrowed bytes are copied once,
   * there. Copying them here instead of waiting cost the controller a block-sized array, its
   * zeroing and a copy for every block the agent was slow to take, about a quarter of a full
   * download's lane CPU (docs/BENCHMARKS.md); waiting costs nothing, since the transport holds
   * {@link #ON_READY_THRESHOLD} bytes to send meanwhile. A client end copies: its calls may
   * keep a message to replay it on a new stream after it was written.
   */
  @Override
  public void sendBorrowed(SyncFrame frame)
      throws SyncException, LinkException, InterruptedException {
    throwIfEnded();
    if (!serverSide) {
      send(FrameLink.owned(frame));
      return;
    }
    writeWhenReady(frame);
  }

  private synchronized void writeWhenReady(SyncFrame frame)
      throws SyncException, LinkException, InterruptedException {
    while (!closed && (!outbound.isEmpty() || !out.isReady())) {
      wait(20); // onReady's drain() wakes it; the timeout also notices an ended link
      throwIfEnded();
      drain();
    }
    throwIfEnded();
    if (!closed) { // a link this side failed or closed drops what is sent after, as send does
      write(frame);
    }
    throwIfRefused();
  }

  private synchronized void drain() {
    SyncFrame next;
    while (!closed && out.isReady() && (next = outbound.poll()) != null) {
      write(next);
    }
    // close() waits on this monitor for the last frames to leave.
    notifyAll();
  }

  @Override
  public SyncFrame receive() throws SyncException, LinkException, InterruptedException {
    return take(inbound.take());
  }

  @Override
  public SyncFrame poll() throws SyncException, LinkException {
    Object next = inbound.poll();
    return next == null ? null : take(next);
  }

  private SyncFrame take(Object next) throws SyncException, LinkException {
    if (next == END) {
      inbound.add(END);
      throwIfEnded();
      throw new LinkException("stream ended");
    }
    SyncFrame frame = (SyncFrame) next;
    if (frame.hasAbort()) {
      SyncException aborted = SyncException.fromPeer(kindOf(frame.getAbort().getKind()),
          frame.getAbort().getMessage());
      // The link has ended: close() must not wait for frames to leave to a peer that stopped.
      terminal = aborted;
      throw aborted;
    }
    if (++unrequested == REQUEST_BATCH) {
      out.request(unrequested);
      unrequested = 0;
    }
    return frame;
  }

  private void throwIfEnded() throws SyncException, LinkException {
    Exception ended = terminal;
    if (ended instanceof LinkException link) {
      throw link;
    }
    if (ended instanceof SyncException sync) {
      throw sync;
    }
  }

  @Override
  public synchronized void fail(SyncException reason) {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // In-band first: a client cannot send a status, and a server's may arrive after the frame.
      out.onNext(wrap.apply(SyncFrame.newBuilder().setAbort(LaneAbort.newBuilder()
          .setKind(reason.kind().name()).setMessage(reason.getMessage())).build()));
      if (serverSide) {
        out.onError(toStatus(reason).asRuntimeException());
      } else {
        out.onCompleted();
      }
    } catch (StatusRuntimeException | IllegalStateException gone) {
      // The call already ended (the peer died or cancelled): nobody is left to tell, and a
      // cancel must still end the lane here.
    }
  }

  /**
   * Stops the lane from this side (an operator's cancel): the lane thread's next send or
   * receive throws {@code reason}, and the peer is told in-band.
   */
  public void cancel(SyncException reason) {
    terminal = reason;
    inbound.add(END);
    fail(reason);
  }

  @Override
  public synchronized void close() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    // The last frames (a verdict) must leave before the stream ends.
    while (!closed && !outbound.isEmpty() && terminal == null && System.nanoTime() < deadline) {
      try {
        wait(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      drain();
    }
    if (!closed) {
      closed = true;
      if (terminal == null) {
        out.onCompleted();
      } else if (serverSide) {
        out.onError(Status.CANCELLED.withDescription("lane closed").asRuntimeException());
      } else {
        out.onCompleted();
      }
    }
  }

  /**
   * Writes one frame. A call the peer's side ended a moment ago (a cut connection) refuses it:
   * grpc marks a server call cancelled before the lane hears of it, and {@code onNext} then
   * throws "call already cancelled". That is the link ending, which the session resumes from,
   * not a failure of the lane; the lane's next send or receive says so.
   */
  private void write(SyncFrame frame) {
    try {
      out.onNext(wrap.apply(frame));
    } catch (StatusRuntimeException | IllegalStateException gone) {
      ended("the stream ended while sending: " + gone.getMessage());
    }
  }

  /** The call refused a write because the peer's side had ended it (under the write lock). */
  private void ended(String why) {
    refused = new LinkException(why);
    if (terminal == null) {
      terminal = refused;
    }
    closed = true;
    inbound.add(END);
  }

  private void throwIfRefused() throws LinkException {
    LinkException cut = refused;
    if (cut != null) {
      throw cut;
    }
  }

  /** The status a server ends a failed lane with. */
  public static Status toStatus(SyncException e) {
    Status status = switch (e.kind()) {
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
      case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
      case DATA_LOSS -> Status.DATA_LOSS;
      case DISK -> Status.INTERNAL;
      case CANCELLED -> Status.CANCELLED;
    };
    return status.withDescription(e.getMessage());
  }

  /** Whether a status from the peer is worth a retry over a new stream. */
  static Exception fromStatus(Status status) {
    String description = status.getCode() + ": " + status.getDescription();
    return switch (status.getCode()) {
      case INVALID_ARGUMENT -> SyncException.fromPeer(SyncException.Kind.INVALID_ARGUMENT,
          description);
      case FAILED_PRECONDITION, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED ->
          SyncException.fromPeer(SyncException.Kind.FAILED_PRECONDITION, description);
      case DATA_LOSS -> SyncException.fromPeer(SyncException.Kind.DATA_LOSS, description);
      case INTERNAL -> SyncException.fromPeer(SyncException.Kind.DISK, description);
      default -> new LinkException(description);
    };
  }

  private static SyncException.Kind kindOf(String name) {
    try {
      return SyncException.Kind.valueOf(name);
    } catch (IllegalArgumentException e) {
      return SyncException.Kind.FAILED_PRECONDITION;
    }
  }
}
