package io.failback.controller.grpc;

import io.failback.common.grpc.ControllerTargets;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a standby controller serves on the API port while it waits for the lease: every call
 * is answered {@code UNAVAILABLE} with the active controller's address, in the description for
 * people and in the {@link ControllerTargets#ACTIVE_CONTROLLER} trailer for clients, which then
 * go there; the gRPC health check says {@code NOT_SERVING}, so that a load balancer's probe
 * leaves it out. The port is the real one's (same TLS), closed again before the controller
 * serves for real.
 */
public final class StandbyServer {
  private static final Logger log = LoggerFactory.getLogger(StandbyServer.class);

  private final Supplier<ServerBuilder<?>> port;
  private volatile String active = "";
  private volatile long term;
  private Server server;
  private boolean tried;

  /** @param port the API port's builder (address, TLS, limits), built only if needed */
  public StandbyServer(Supplier<ServerBuilder<?>> port) {
    this.port = port;
  }

  /**
   * The active controller is {@code address} (lease {@code term}): opens the port on the first
   * call, and names the active controller from then on.
   */
  public synchronized void following(String address, long term) {
    this.active = address;
    this.term = term;
    if (tried) {
      return;
    }
    tried = true;
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("", ServingStatus.NOT_SERVING);
    try {
      server = port.get().addService(health.getHealthService())
          .fallbackHandlerRegistry(new Refusals()).build().start();
      log.info("standby: answering calls on port " + server.getPort() + " with the active"
          + " controller's address");
    } catch (IOException | RuntimeException e) {
      // Clients given every address still find the active one; only the pointer is missing.
      log.warn("standby: cannot open the API port to point clients at the active"
          + " controller (" + e.getMessage() + "); it stays closed until this one is active");
    }
  }

  /** Closes the port (waiting until it is free) so that the active controller can bind it. */
  public synchronized void close() {
    if (server == null) {
      return;
    }
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  /** Every method of every service, whatever the request: nothing is parsed. */
  private final class Refusals extends HandlerRegistry {
    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
      MethodDescriptor<InputStream, InputStream> method = MethodDescriptor
          .<InputStream, InputStream>newBuilder(RAW, RAW)
          .setType(MethodDescriptor.MethodType.UNKNOWN)
          .setFullMethodName(methodName).build();
      ServerCallHandler<InputStream, InputStream> refuse = (ServerCall<InputStream,
          InputStream> call, Metadata headers) -> {
        String address = active;
        Metadata trailers = new Metadata();
        trailers.put(ControllerTargets.ACTIVE_CONTROLLER, address);
        call.close(Status.UNAVAILABLE.withDescription("this controller is a standby; the"
            + " active controller is " + address + " (lease term " + term + "): call it there"),
            trailers);
        return new ServerCall.Listener<>() {};
      };
      return ServerMethodDefinition.create(method, refuse);
    }
  }

  private static final MethodDescriptor.Marshaller<InputStream> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
          return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
          return new ByteArrayInputStream(new byte[0]);
        }
      };
}
