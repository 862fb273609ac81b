package io.failback.controller.grpc;

import io.failback.certs.Role;
import io.failback.common.grpc.AuthContext;
import io.failback.common.tls.PeerIdentity;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Lets a read-only operator ({@code spiffe://…/operator-readonly/NAME}) list, get and watch, and
 * refuses every other call with PERMISSION_DENIED before it reaches the service. Runs inside
 * authorization (which has admitted the role to the service) and inside the audit, so a
 * refused attempt is recorded with who made it.
 */
public final class ReadOnlyGate implements ServerInterceptor {
  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    PeerIdentity peer = AuthContext.peer();
    String method = call.getMethodDescriptor().getBareMethodName();
    if (peer.role() == Role.OPERATOR_READONLY
        && (method == null || !AuditingInterceptor.readsOnly(method))) {
      Status refusal = Status.PERMISSION_DENIED.withDescription(peer.spiffeId() + " is a"
          + " read-only operator: it may list, get and watch, not call "
          + call.getMethodDescriptor().getFullMethodName()
          + "; use an operator certificate (failback-pki issue --role operator)");
      // Refused once the request is in, so that the audit records what was asked for.
      call.request(1);
      return new ServerCall.Listener<>() {
        @Override
        public void onHalfClose() {
          call.close(refusal, new Metadata());
        }
      };
    }
    return next.startCall(call, headers);
  }
}
