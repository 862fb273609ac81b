package io.failback.common.grpc;

import io.failback.common.tls.PeerIdentity;
import io.grpc.Context;

/** Carries the authenticated peer of the current call to the service adapters. */
public final class AuthContext {
  static final Context.Key<PeerIdentity> PEER = Context.key("failback-peer-identity");

  static final Context.Key<String> REMOTE_ADDRESS = Context.key("failback-remote-address");

  private AuthContext() {}

  /** The caller's network address as the transport saw it, for the operator's view. */
  public static String remoteAddress() {
    return REMOTE_ADDRESS.get();
  }

  /** The identity of the caller of the current RPC; set by {@link AuthorizationInterceptor}. */
  public static PeerIdentity peer() {
    PeerIdentity peer = PEER.get();
    if (peer == null) {
      throw new IllegalStateException("no authenticated peer: AuthorizationInterceptor missing");
    }
    return peer;
  }
}
