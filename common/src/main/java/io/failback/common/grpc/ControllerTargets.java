package io.failback.common.grpc;

import com.google.common.net.HostAndPort;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
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

/**
 * Several controller addresses as one gRPC target: {@code ctl-a:8443,ctl-b:8443}.
 *
 * <p>It resolves to every address, in order, and gRPC's default pick_first policy connects to
 * the first that accepts a connection. Only the active controller listens (a standby opens its
 * port once it holds the lease), so agents and the CLI reach the active one, and find the new
 * one by themselves after a takeover. Each address keeps its own host name for TLS host-name
 * verification.
 */
public final class ControllerTargets {
  /** The URI scheme of a target of several addresses. */
  public static final String SCHEME = "failback-controllers";

  static {
    NameResolverRegistry.getDefaultRegistry().register(new Provider());
  }

  private ControllerTargets() {}

  /**
   * The gRPC target for {@code addresses}: one {@code host:port} as it is, several
   * (comma-separated) as a target of this class's scheme.
   *
   * @throws IllegalArgumentException naming an address that is not {@code host:port}
   */
  public static String target(String addresses) {
    List<HostAndPort> list = parse(addresses);
    if (list.size() == 1) {
      return addresses.strip();
    }
    return SCHEME + ":///" + String.join(",", list.stream().map(HostAndPort::toString).toList());
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
      return new Resolver(parse(path.startsWith("/") ? path.substring(1) : path));
    }
  }

  private static final class Resolver extends NameResolver {
    private final List<HostAndPort> addresses;
    private Listener2 listener;

    Resolver(List<HostAndPort> addresses) {
      this.addresses = List.copyOf(addresses);
    }

    @Override
    public String getServiceAuthority() {
      return addresses.get(0).toString();
    }

    @Override
    public void start(Listener2 listener) {
      this.listener = listener;
      resolve();
    }

    @Override
    public void refresh() {
      resolve();
    }

    private void resolve() {
      List<EquivalentAddressGroup> groups = new ArrayList<>();
      List<String> unknown = new ArrayList<>();
      for (HostAndPort address : addresses) {
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
            "no controller address resolves: " + String.join(", ", unknown)));
        return;
      }
      listener.onResult(ResolutionResult.newBuilder()
          .setAddressesOrError(StatusOr.fromValue(groups)).build());
    }

    @Override
    public void shutdown() {}
  }
}
