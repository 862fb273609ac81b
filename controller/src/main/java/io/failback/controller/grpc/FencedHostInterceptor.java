package io.failback.controller.grpc;

import com.google.protobuf.util.Timestamps;
import io.failback.certs.Role;
import io.failback.common.grpc.AuthContext;
import io.failback.common.tls.PeerIdentity;
import io.failback.controller.agents.HostAdmin;
import io.failback.controller.store.HostFenceRecords.Fence;
import io.failback.controller.store.StoreException;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;

/**
 * Refuses every call of an agent whose host an operator fenced, whatever its certificate.
 *
 * <p>Runs inside the authorization interceptor (it needs the authenticated peer). Streams
 * already open when the fence went up are ended by the fence itself, not here.
 */
public final class FencedHostInterceptor implements ServerInterceptor {
  private final HostAdmin hosts;

  public FencedHostInterceptor(HostAdmin hosts) {
    this.hosts = hosts;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    PeerIdentity peer = AuthContext.peer();
    if (peer.role() == Role.AGENT) {
      Optional<Fence> fence;
      try {
        fence = hosts.fenceOf(peer.name());
      } catch (StoreException e) {
        return refuse(call, Status.UNAVAILABLE.withDescription(
            "controller store unavailable: " + e.getMessage()));
      }
      if (fence.isPresent()) {
        return refuse(call, Status.PERMISSION_DENIED.withDescription("host " + peer.name()
            + " is fenced since " + Timestamps.toString(Timestamps.fromMillis(
                fence.get().fencedAt().toEpochMilli())) + " by " + fence.get().actor()
            + "; an operator lifts the fence with: failback host unfence " + peer.name()));
      }
    }
    return next.startCall(call, headers);
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, RespT> call,
      Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
