package io.failback.controller.grpc;

import io.failback.common.grpc.AuthContext;
import io.failback.controller.agents.AgentRegistry;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.SyncDiskResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** gRPC adapter for {@code failback.v1.AgentService}. */
public final class AgentServiceAdapter extends AgentServiceGrpc.AgentServiceImplBase {
  private final AgentRegistry registry;

  public AgentServiceAdapter(AgentRegistry registry) {
    this.registry = registry;
  }

  @Override
  public StreamObserver<AgentMessage> connect(StreamObserver<ControllerMessage> responses) {
    return new ControlStream(registry, AuthContext.peer(), AuthContext.remoteAddress(),
        responses);
  }

  @Override
  public StreamObserver<SyncDiskRequest> syncDisk(StreamObserver<SyncDiskResponse> responses) {
    responses.onError(Status.UNIMPLEMENTED
        .withDescription("failback.v1.AgentService/SyncDisk: this controller announces no sync"
            + " sessions yet, so there is no session to open")
        .asRuntimeException());
    return new StreamObserver<>() {
      @Override
      public void onNext(SyncDiskRequest value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
