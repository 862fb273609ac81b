package io.failback.controller.grpc;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.failback.common.grpc.GrpcFrameLink;
import io.failback.common.grpc.TransportLimits;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.SyncDiskResponse;
import io.failback.proto.v1.SyncOpen;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The controller's end of the SyncDisk calls agents open, up to their SyncOpen. No lane takes
 * a call that has not opened one, and each open call holds the controller's buffers and a
 * place in its connection: so a call must send its SyncOpen within a deadline, and each agent
 * identity may have only so many calls without one at once, over any number of connections.
 * Either is refused, as is a call that starts with anything else.
 */
final class DataStreams implements AutoCloseable {
  static final String OPEN_FIRST = "a SyncDisk stream starts with exactly one SyncOpen";
  /**
   * How long a call may go without its SyncOpen. An agent sends it as the call's first
   * message, at once: a minute is far beyond any connection worth syncing over.
   */
  static final Duration OPEN_DEADLINE = Duration.ofSeconds(60);
  /**
   * Calls without their SyncOpen per agent identity. An agent dials over one connection,
   * which carries at most this many calls at once (its client queues the rest): it never has
   * more, let alone more still unopened.
   */
  static final int MAX_UNOPENED_PER_AGENT =
      TransportLimits.MAX_CONCURRENT_CALLS_PER_CONNECTION;

  /** The session's judgement of a SyncOpen: null once a lane will take the call. */
  interface Admission {
    Status admit(SyncOpen open, GrpcFrameLink<SyncDiskResponse> link);
  }

  private final Map<String, Integer> unopened = new ConcurrentHashMap<>();
  private final ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1,
      new ThreadFactoryBuilder().setNameFormat("controller-sync-open").setDaemon(true).build());
  private volatile Duration openDeadline = OPEN_DEADLINE;

  DataStreams() {
    // A call that opens in time cancels its deadline: it must not stay queued for a minute.
    deadlines.setRemoveOnCancelPolicy(true);
  }

  /** How long a call may go without its SyncOpen from now on (a test shortens it). */
  void openDeadline(Duration deadline) {
    openDeadline = deadline;
  }

  /** Takes a call {@code agent} opened; {@code admission} judges its SyncOpen. */
  StreamObserver<SyncDiskRequest> accept(String agent,
      ServerCallStreamObserver<SyncDiskResponse> responses, Admission admission) {
    responses.disableAutoRequest();
    responses.setOnReadyThreshold(GrpcFrameLink.ON_READY_THRESHOLD);
    GrpcFrameLink<SyncDiskResponse> link = new GrpcFrameLink<>(responses,
        frame -> SyncDiskResponse.newBuilder().setFrame(frame).build(), true);
    responses.setOnReadyHandler(link::onReady);
    if (unopened.merge(agent, 1, Integer::sum) > MAX_UNOPENED_PER_AGENT) {
      release(agent);
      link.refuse(Status.RESOURCE_EXHAUSTED.withDescription("an agent may have at most "
          + MAX_UNOPENED_PER_AGENT + " SyncDisk streams without their SyncOpen"));
      return new Call(agent, link, admission, true); // nothing requested: it ignores the rest
    }
    Call call = new Call(agent, link, admission, false);
    Duration deadline = openDeadline;
    call.expiry = deadlines.schedule(() -> {
      if (call.settle()) {
        link.refuse(Status.DEADLINE_EXCEEDED.withDescription("no SyncOpen within "
            + deadline.toMillis() + " ms of the SyncDisk stream's start"));
      }
    }, deadline.toMillis(), TimeUnit.MILLISECONDS);
    responses.request(1);
    return call;
  }

  private void release(String agent) {
    unopened.computeIfPresent(agent, (name, count) -> count == 1 ? null : count - 1);
  }

  @Override
  public void close() {
    deadlines.shutdownNow();
  }

  /** One call; refusals go through its link, under the lock the lane's writes take. */
  private final class Call implements StreamObserver<SyncDiskRequest> {
    private final String agent;
    private final GrpcFrameLink<SyncDiskResponse> link;
    private final Admission admission;
    /** Set once the call is no longer unopened: opened, ended, refused or past its deadline. */
    private final AtomicBoolean settled;
    private volatile ScheduledFuture<?> expiry;
    private boolean opened;

    Call(String agent, GrpcFrameLink<SyncDiskResponse> link, Admission admission,
        boolean settled) {
      this.agent = agent;
      this.link = link;
      this.admission = admission;
      this.settled = new AtomicBoolean(settled);
    }

    /** Whether this ended the unopened state (the first to, of the call and its deadline). */
    boolean settle() {
      if (!settled.compareAndSet(false, true)) {
        return false;
      }
      release(agent);
      ScheduledFuture<?> pending = expiry;
      if (pending != null) {
        pending.cancel(false);
      }
      return true;
    }

    @Override
    public void onNext(SyncDiskRequest request) {
      if (request.hasFrame() && opened) {
        link.onFrame(request.getFrame());
      } else if (!request.hasOpen() || opened) {
        settle();
        link.refuse(Status.INVALID_ARGUMENT.withDescription(OPEN_FIRST));
      } else if (settle()) { // else its deadline refused it a moment ago
        opened = true;
        Status refusal = admission.admit(request.getOpen(), link);
        if (refusal != null) {
          link.refuse(refusal);
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      settle();
      link.onPeerError(t);
    }

    @Override
    public void onCompleted() {
      if (!opened) { // no lane ever takes a stream ended unopened: unanswered, it stays open
        settle();
        link.refuse(Status.INVALID_ARGUMENT.withDescription(OPEN_FIRST));
      }
      link.onPeerCompleted();
    }
  }
}
