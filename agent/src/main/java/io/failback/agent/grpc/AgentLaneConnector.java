package io.failback.agent.grpc;

import com.google.common.util.concurrent.MoreExecutors;
import io.failback.common.grpc.AliasedParsing;
import io.failback.common.grpc.GrpcFrameLink;
import io.failback.common.sync.LaneConnector;
import io.failback.common.sync.LinkException;
import io.failback.common.sync.SyncException;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.SyncDiskResponse;
import io.failback.proto.v1.SyncOpen;
import io.failback.proto.v1.SyncRole;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Opens a lane's data stream from the agent (agents always dial out) and learns from the
 * controller where the lane resumes.
 */
final class AgentLaneConnector implements LaneConnector {
  private static final long OPEN_TIMEOUT_SECONDS = 60;
  /**
   * SyncDisk with the controller's frames parsed so that a block's bytes alias the frame's
   * array (AliasedParsing): one copy of every received block fewer.
   */
  private static final MethodDescriptor<SyncDiskRequest, SyncDiskResponse> SYNC_DISK =
      AgentServiceGrpc.getSyncDiskMethod().toBuilder(
          ProtoUtils.marshaller(SyncDiskRequest.getDefaultInstance()),
          AliasedParsing.marshaller(SyncDiskResponse.getDefaultInstance())).build();

  private final AgentChannels channels;
  private final String sessionId;
  private final SyncRole role;
  private final BooleanSupplier stopping;

  /** A connector whose lanes end at a batch boundary once {@code stopping} says so. */
  AgentLaneConnector(AgentChannels channels, String sessionId, SyncRole role,
      BooleanSupplier stopping) {
    this.channels = channels;
    this.sessionId = sessionId;
    this.role = role;
    this.stopping = stopping;
  }

  @Override
  public OpenLane open(int lane) throws SyncException, LinkException, InterruptedException {
    if (stopping.getAsBoolean()) {
      // A lane that ended for the stop is not reopened; the session ends with this reason.
      throw new SyncException(SyncException.Kind.CANCELLED, "agent stopping; the controller"
          + " resumes the session from its last checkpoint when it is run again");
    }
    CompletableFuture<LaneCheckpoint> opened = new CompletableFuture<>();
    // An upload lane gets a connection of its own (AgentChannels), held until its stream ends.
    AgentChannels.Lease lease = role == SyncRole.SOURCE ? channels.leaseUpload()
        : channels.leaseControl();
    StreamHandler handler = new StreamHandler(opened, lease);
    // The stream's callbacks only queue frames and write while ready (GrpcFrameLink), so they
    // run on the transport's thread: a hand-off to an executor per 64 KiB frame woke a thread
    // each time, which cost more CPU than the work it handed off.
    AgentServiceGrpc.AgentServiceStub stub = AgentServiceGrpc.newStub(lease.channel())
        .withOnReadyThreshold(GrpcFrameLink.ON_READY_THRESHOLD)
        .withExecutor(MoreExecutors.directExecutor());
    ClientCalls.asyncBidiStreamingCall(stub.getChannel().newCall(SYNC_DISK,
        stub.getCallOptions()), handler)
        .onNext(SyncDiskRequest.newBuilder()
            .setOpen(SyncOpen.newBuilder().setSessionId(sessionId).setLane(lane)).build());
    LaneCheckpoint start;
    try {
      start = opened.get(OPEN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      handler.requests.cancel("no answer to SyncOpen", null);
      throw new LinkException("controller did not answer the open of lane " + lane);
    } catch (ExecutionException e) {
      if (refused(e.getCause())) {
        throw refusal(e.getCause());
      }
      Status status = Status.fromThrowable(e.getCause());
      throw new LinkException("opening lane " + lane + ": " + status.getCode() + ": "
          + status.getDescription(), e.getCause());
    }
    handler.link.start();
    // No chain means no checkpoint yet: the lane starts at its first block.
    return new OpenLane(new DrainingLink(handler.link, role, stopping, lease::close),
        start.getChain().isEmpty() ? null : start);
  }

  /** Routes the stream's responses: the open answer first, then frames to the link. */
  private static final class StreamHandler
      implements ClientResponseObserver<SyncDiskRequest, SyncDiskResponse> {
    private final CompletableFuture<LaneCheckpoint> opened;
    private final AgentChannels.Lease lease;
    ClientCallStreamObserver<SyncDiskRequest> requests;
    GrpcFrameLink<SyncDiskRequest> link;

    StreamHandler(CompletableFuture<LaneCheckpoint> opened, AgentChannels.Lease lease) {
      this.opened = opened;
      this.lease = lease;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<SyncDiskRequest> requestStream) {
      requests = requestStream;
      requestStream.disableAutoRequestWithInitial(1);
      link = new GrpcFrameLink<>(requestStream,
          frame -> SyncDiskRequest.newBuilder().setFrame(frame).build(), false);
      requestStream.setOnReadyHandler(link::onReady);
    }

    @Override
    public void onNext(SyncDiskResponse response) {
      if (response.hasOpened() && !opened.isDone()) {
        opened.complete(response.getOpened().getResumeFrom());
      } else if (response.hasFrame()) {
        link.onFrame(response.getFrame());
      }
    }

    @Override
    public void onError(Throwable t) {
      lease.close();
      opened.completeExceptionally(t);
      link.onPeerError(t);
    }

    @Override
    public void onCompleted() {
      lease.close();
      opened.completeExceptionally(new IllegalStateException("stream ended before it opened"));
      link.onPeerCompleted();
    }
  }

  /** Whether a failed open is final (the controller refused) rather than a broken link. */
  private static boolean refused(Throwable t) {
    return switch (Status.fromThrowable(t).getCode()) {
      case NOT_FOUND, FAILED_PRECONDITION, PERMISSION_DENIED, INVALID_ARGUMENT -> true;
      default -> false;
    };
  }

  private static SyncException refusal(Throwable t) {
    Status status = Status.fromThrowable(t);
    return SyncException.fromPeer(SyncException.Kind.FAILED_PRECONDITION,
        status.getCode() + ": " + status.getDescription());
  }
}
