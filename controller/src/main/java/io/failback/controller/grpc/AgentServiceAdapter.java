package io.failback.controller.grpc;

import io.failback.common.grpc.AuthContext;
import io.failback.controller.agents.AgentRegistry;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.SyncDiskResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** gRPC adapter for {@code failback.v1.AgentService}. */
public final class AgentServiceAdapter extends AgentServiceGrpc.AgentServiceImplBase {
  private final AgentRegistry registry;
  private final SyncStreams syncs;

  public AgentServiceAdapter(AgentRegistry registry, SyncStreams syncs) {
    this.registry = registry;
    this.syncs = syncs;
  }

  @Override
  public StreamObserver<AgentMessage> connect(StreamObserver<ControllerMessage> responses) {
    return new ControlStream(registry, AuthContext.peer(), AuthContext.remoteAddress(),
        responses);
  }

  @Override
  public StreamObserver<SyncDiskRequest> syncDisk(StreamObserver<SyncDiskResponse> responses) {
    return syncs.accept(AuthContext.peer(),
        (ServerCallStreamObserver<SyncDiskResponse>) responses);
  }
}
