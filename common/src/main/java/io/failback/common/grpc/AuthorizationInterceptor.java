package io.failback.common.grpc;

import io.failback.certs.Role;
import io.failback.common.tls.ChainValidator;
import io.failback.common.tls.IdentityException;
import io.failback.common.tls.PeerIdentity;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The one place that decides who may call what: identity from the client certificate's SPIFFE
 * URI SAN, role from its path, and a fixed map of services to the roles that may call them.
 *
 * <p>Every call re-validates its peer's chain ({@link ChainValidator}: expiry, current trust,
 * leaf rules), and streaming calls again every {@code recheckPeriod}, since a connection and a
 * control stream outlive the handshake that admitted them by days.
 */
public final class AuthorizationInterceptor implements ServerInterceptor {
  private final String trustDomain;
  private final Map<String, Set<Role>> rolesByService;
  private final ChainValidator validator;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Duration recheckPeriod;
  private final Set<String> openServices;

  /**
   * Creates the interceptor.
   *
   * @param rolesByService fully qualified service name to the roles allowed to call it; a
   *     service missing from the map is refused to everyone
   */
  public AuthorizationInterceptor(String trustDomain, Map<String, Set<Role>> rolesByService,
      ChainValidator validator, Clock clock, ScheduledExecutorService scheduler,
      Duration recheckPeriod) {
    this(trustDomain, rolesByService, validator, clock, scheduler, recheckPeriod, Set.of());
  }

  /**
   * As above; the services in {@code openServices} (enrollment: a caller that has no
   * certificate yet) are served over TLS without a client identity, and nothing else is.
   */
  public AuthorizationInterceptor(String trustDomain, Map<String, Set<Role>> rolesByService,
      ChainValidator validator, Clock clock, ScheduledExecutorService scheduler,
      Duration recheckPeriod, Set<String> openServices) {
    this.openServices = Set.copyOf(openServices);
    this.trustDomain = trustDomain;
    this.rolesByService = Map.copyOf(rolesByService);
    this.validator = validator;
    this.clock = clock;
    this.scheduler = scheduler;
    this.recheckPeriod = recheckPeriod;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return refuse(call, Status.UNAUTHENTICATED, "the call did not arrive over TLS");
    }
    if (openServices.contains(call.getMethodDescriptor().getServiceName())) {
      // No identity is read or trusted here: the service authenticates its caller itself.
      return Contexts.interceptCall(Context.current().withValue(AuthContext.REMOTE_ADDRESS,
          String.valueOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR))), call,
          headers, next);
    }
    List<X509Certificate> chain;
    try {
      chain = Arrays.stream(session.getPeerCertificates())
          .map(X509Certificate.class::cast).toList();
    } catch (SSLPeerUnverifiedException e) {
      return refuse(call, Status.UNAUTHENTICATED,
          "no client certificate was presented; use a certificate issued by the Failback CA");
    }
    // The connection may predate a revocation or a trust change, and a resumed TLS session
    // skips the handshake's checks altogether: every call is checked anew.
    String invalid = validator.problemAt(chain, clock.instant());
    if (invalid != null) {
      return refuse(call, Status.UNAUTHENTICATED,
          invalid + "; reconnect with a valid certificate");
    }
    PeerIdentity peer;
    try {
      peer = PeerIdentity.of(chain.get(0), trustDomain);
    } catch (IdentityException e) {
      return refuse(call, Status.UNAUTHENTICATED, e.getMessage());
    }
    String service = call.getMethodDescriptor().getServiceName();
    Set<Role> allowed = rolesByService.getOrDefault(service, Set.of());
    if (!allowed.contains(peer.role())) {
      return refuse(call, Status.PERMISSION_DENIED, deniedMessage(peer, service, allowed));
    }
    Context context = Context.current().withValue(AuthContext.PEER, peer)
        .withValue(AuthContext.REMOTE_ADDRESS,
            String.valueOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
    if (call.getMethodDescriptor().getType() == MethodType.UNARY) {
      return Contexts.interceptCall(context, call, headers, next);
    }
    RecheckedCall<ReqT, RespT> rechecked = new RecheckedCall<>(call,
        () -> validator.problemAt(chain, clock.instant()));
    rechecked.start(scheduler, recheckPeriod);
    return rechecked.wrap(Contexts.interceptCall(context, rechecked, headers, next));
  }

  private String deniedMessage(PeerIdentity peer, String service, Set<Role> allowed) {
    String who = peer.role().pathSegment() + " identity " + peer.spiffeId();
    if (allowed.isEmpty()) {
      return who + " may not call " + service + ": no role may call it";
    }
    String roles = allowed.stream().map(Role::pathSegment).sorted()
        .collect(Collectors.joining(" or "));
    List<String> own = rolesByService.entrySet().stream()
        .filter(e -> e.getValue().contains(peer.role())).map(Map.Entry::getKey).sorted().toList();
    return who + " may not call " + service + ", which is for " + roles + " certificates"
        + (own.isEmpty() ? "" : "; a " + peer.role().pathSegment() + " may call only "
        + String.join(", ", own));
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, RespT> call,
      Status status, String description) {
    call.close(status.withDescription(description), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
