package io.failback.common.grpc;

import com.google.common.net.HostAndPort;
import io.grpc.Attributes;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusOr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Several controller addresses as one gRPC target: {@code ctl-a:8443,ctl-b:8443}.
 *
 * <p>It resolves to every address, in order, and gRPC's default pick_first policy connects to
 * the first that accepts a connection. A standby controller answers every call with
 * {@code UNAVAILABLE} and the active controller's address in the {@link #ACTIVE_CONTROLLER}
 * trailer: a channel built by {@link #channelBuilder} then narrows its addresses to that one
 * for a few seconds (pick_first leaves the standby), the active one first after that, so agents
 * and the CLI reach the active controller whatever the order of their list, and find the new one
 * by themselves after a takeover. Each address keeps its own host name for
 * TLS host-name verification, the active's address included.
 */
public final class ControllerTargets {
  /** The URI scheme of a target of several addresses. */
  public static final String SCHEME = "failback-controllers";

  /** The trailer in which a standby names the active controller ({@code host:port}). */
  public static final Metadata.Key<String> ACTIVE_CONTROLLER =
      Metadata.Key.of("failback-active-controller", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * Calls refused with UNAVAILABLE (a standby, a controller not listening yet) are tried again
   * a few times, 1.4 s at most: a standby's refusal means the call did nothing, and the retry
   * goes to the active controller it named.
   */
  private static final Map<String, ?> RETRY_UNAVAILABLE = retryPolicy(4);

  /**
   * With several controllers, until the call's deadline (an attempt about every half second):
   * during a takeover none is active for up to a lease's time to live and a standby's look.
   */
  private static final int RIDE_OUT_ATTEMPTS = 100;

  private static Map<String, ?> retryPolicy(int attempts) {
    return Map.of("methodConfig", List.of(Map.of(
        "name", List.of(Map.of()),
        "retryPolicy", Map.of("maxAttempts", (double) attempts, "initialBackoff", "0.2s",
            "maxBackoff", "1s", "backoffMultiplier", 2.0,
            "retryableStatusCodes", List.of("UNAVAILABLE")))));
  }

  /** How a resolution error's description starts. */
  static final String UNRESOLVED = "no controller address resolves: ";

  /** How a channel built here hands its address list to its resolver. */
  private static final NameResolver.Args.Key<Addresses> ADDRESSES =
      NameResolver.Args.Key.create("failback-controller-addresses");

  static {
    NameResolverRegistry.getDefaultRegistry().register(new Provider());
  }

  private ControllerTargets() {}

  /**
   * A channel builder for {@code addresses} (comma-separated {@code host:port}) that follows a
   * standby's pointer to the active controller: the next call goes there.
   *
   * @throws IllegalArgumentException naming an address that is not {@code host:port}
   */
  public static ManagedChannelBuilder<?> channelBuilder(String addresses,
      ChannelCredentials credentials) {
    List<HostAndPort> list = parse(addresses);
    Addresses state = new Addresses(list);
    String target = SCHEME + ":///"
        + String.join(",", list.stream().map(HostAndPort::toString).toList());
    return Grpc.newChannelBuilder(target, credentials)
        .setNameResolverArg(ADDRESSES, state)
        .intercept(followingActive(state));
  }

  /**
   * Makes a one-shot client (the CLI, enrollment) try a call refused with UNAVAILABLE a few
   * times: the call that reached a standby goes to the active controller it named. Not for
   * the agent's long streams, which reconnect by themselves.
   */
  public static ManagedChannelBuilder<?> retryingUnavailable(ManagedChannelBuilder<?> builder) {
    return builder.defaultServiceConfig(RETRY_UNAVAILABLE).enableRetry();
  }

  /**
   * A channel builder for a one-shot client (the CLI, enrollment) of {@code addresses}: a call
   * answered UNAVAILABLE is tried again. Given one address, as {@link #retryingUnavailable}.
   * Given several (controllers sharing a store), until the call's deadline: a takeover leaves
   * no controller active until the lease lapses (20 s at most with the default time to live),
   * and a call refused by a standby or by a closed port did nothing. A failed TLS handshake or
   * addresses that do not resolve end the call at once ({@link UnmendableFailures}): no
   * takeover mends them.
   *
   * @throws IllegalArgumentException naming an address that is not {@code host:port}
   */
  public static ManagedChannelBuilder<?> oneShotChannelBuilder(String addresses,
      ChannelCredentials credentials) {
    ManagedChannelBuilder<?> builder = channelBuilder(addresses, credentials);
    if (!several(addresses)) {
      return retryingUnavailable(builder);
    }
    return builder.defaultServiceConfig(retryPolicy(RIDE_OUT_ATTEMPTS)).enableRetry()
        .maxRetryAttempts(RIDE_OUT_ATTEMPTS).intercept(new UnmendableFailures());
  }

  /** Whether {@code addresses} names more than one controller. */
  public static boolean several(String addresses) {
    return parse(addresses).size() > 1;
  }

  /** Reads the standby's trailer of every attempt, so that the retry goes to the active one. */
  private static ClientInterceptor followingActive(Addresses addresses) {
    return AttemptTracing.interceptor(info -> new ClientStreamTracer() {
      @Override
      public void inboundTrailers(Metadata trailers) {
        String active = trailers.get(ACTIVE_CONTROLLER);
        if (active != null) {
          addresses.follow(active);
        }
      }
    });
  }

  static List<HostAndPort> parse(String addresses) {
    List<HostAndPort> list = new ArrayList<>();
    for (String part : addresses.split(",")) {
      HostAndPort address;
      try {
        address = HostAndPort.fromString(part.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + part.strip() + "' is not host:port");
      }
      if (!address.hasPort() || address.getHost().isEmpty()) {
        throw new IllegalArgumentException("'" + part.strip() + "' is not host:port");
      }
      list.add(address);
    }
    return list;
  }

  private static final class Provider extends NameResolverProvider {
    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 5;
    }

    @Override
    public String getDefaultScheme() {
      return SCHEME;
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
      if (!SCHEME.equals(target.getScheme())) {
        return null;
      }
      String path = target.getPath() == null ? "" : target.getPath();
      List<HostAndPort> list = parse(path.startsWith("/") ? path.substring(1) : path);
      Addresses state = args.getArg(ADDRESSES);
      return new Resolver(state != null ? state : new Addresses(list),
          args.getSynchronizationContext());
    }
  }

  /**
   * One channel's addresses: for a while after a standby named the active controller, only
   * that one (so that pick_first leaves the standby, and its reconnection goes nowhere else);
   * then all of them, the active one first, so that a lost active one leads to the others.
   */
  private static final class Addresses {
    /** Longer than pick_first takes to move, shorter than a takeover (a lease's lapse). */
    private static final long ONLY_ACTIVE_NANOS = java.util.concurrent.TimeUnit.SECONDS
        .toNanos(3);
    /**
     * A re-resolution asked for sooner comes from pick_first leaving the standby; later, from
     * losing the active one, which a standby may have named just before it took over.
     */
    private static final long MOVING_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    private final List<HostAndPort> all;
    private volatile HostAndPort active;
    private volatile long followedAt;
    private volatile Resolver resolver;

    Addresses(List<HostAndPort> all) {
      this.all = List.copyOf(all);
    }

    List<HostAndPort> current() {
      HostAndPort named = active;
      if (named == null) {
        return all;
      }
      if (System.nanoTime() - followedAt < ONLY_ACTIVE_NANOS) {
        return List.of(named);
      }
      List<HostAndPort> list = new ArrayList<>(List.of(named));
      all.stream().filter(address -> !address.equals(named)).forEach(list::add);
      return list;
    }

    /** The channel asks for the addresses again: after a lost connection, try them all. */
    synchronized void refreshing() {
      if (active != null && System.nanoTime() - followedAt >= MOVING_NANOS) {
        followedAt -= ONLY_ACTIVE_NANOS;
      }
    }

    /** A standby named {@code address} as the active controller. */
    void follow(String address) {
      HostAndPort named;
      try {
        named = HostAndPort.fromString(address.strip());
      } catch (IllegalArgumentException e) {
        return;
      }
      if (!named.hasPort() || named.getHost().isEmpty()) {
        return;
      }
      synchronized (this) {
        if (named.equals(active) && System.nanoTime() - followedAt < ONLY_ACTIVE_NANOS) {
          return;
        }
        active = named;
        followedAt = System.nanoTime();
      }
      Resolver now = resolver;
      if (now != null) {
        now.syncContext().execute(now::resolve);
      }
    }
  }

  private static final class Resolver extends NameResolver {
    private final Addresses addresses;
    private Listener2 listener;
    private final io.grpc.SynchronizationContext syncContext;

    Resolver(Addresses addresses, io.grpc.SynchronizationContext syncContext) {
      this.addresses = addresses;
      this.syncContext = syncContext;
    }

    @Override
    public String getServiceAuthority() {
      return addresses.all.get(0).toString();
    }

    io.grpc.SynchronizationContext syncContext() {
      return syncContext;
    }

    @Override
    public void start(Listener2 listener) {
      this.listener = listener;
      addresses.resolver = this;
      resolve();
    }

    @Override
    public void refresh() {
      addresses.refreshing();
      resolve();
    }

    private void resolve() {
      List<EquivalentAddressGroup> groups = new ArrayList<>();
      List<String> unknown = new ArrayList<>();
      for (HostAndPort address : addresses.current()) {
        try {
          List<SocketAddress> sockets = Arrays.stream(
                  InetAddress.getAllByName(address.getHost()))
              .map(ip -> (SocketAddress) new InetSocketAddress(ip, address.getPort())).toList();
          groups.add(new EquivalentAddressGroup(sockets, Attributes.newBuilder()
              .set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE, address.toString())
              .build()));
        } catch (UnknownHostException e) {
          unknown.add(address.getHost());
        }
      }
      if (groups.isEmpty()) {
        listener.onError(Status.UNAVAILABLE.withDescription(
            UNRESOLVED + String.join(", ", unknown)));
        return;
      }
      listener.onResult(ResolutionResult.newBuilder()
          .setAddressesOrError(StatusOr.fromValue(groups)).build());
    }

    @Override
    public void shutdown() {
      if (addresses.resolver == this) {
        addresses.resolver = null;
      }
    }
  }
}
