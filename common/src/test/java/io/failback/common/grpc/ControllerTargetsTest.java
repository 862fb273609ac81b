package io.failback.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients given several controller addresses: the standby named first points them to the
 * active one, they go there, and they try every address again once that one is gone.
 */
class ControllerTargetsTest {
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
  }

  @Test
  void aRetryingClientFollowsTheStandbysPointerAndTheCallSucceedsOnTheActiveOne()
      throws Exception {
    Counted active = serving();
    Counted standby = standbyPointingAt("localhost:" + active.server.getPort());
    ManagedChannel channel = keep(ControllerTargets.retryingUnavailable(
        ControllerTargets.channelBuilder(addresses(standby, active),
            InsecureChannelCredentials.create())).build());

    assertEquals(ServingStatus.SERVING, check(channel));
    assertEquals(1, standby.calls.get(), "the standby was asked once");
    assertEquals(1, active.calls.get());
    assertEquals(ServingStatus.SERVING, check(channel));
    assertEquals(1, standby.calls.get(), "the next call went to the active one directly");
    assertEquals(2, active.calls.get());
  }

  @Test
  void aStreamingClientGetsTheStandbysAnswerOnceThenReachesTheActiveOne() throws Exception {
    Counted active = serving();
    Counted standby = standbyPointingAt("localhost:" + active.server.getPort());
    ManagedChannel channel = keep(ControllerTargets.channelBuilder(addresses(standby, active),
        InsecureChannelCredentials.create()).build());

    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> check(channel));
    assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("standby"));
    assertEquals(ServingStatus.SERVING, check(channel));
    assertEquals(1, active.calls.get());
  }

  @Test
  void onceTheActiveOneIsGoneEveryAddressIsTriedAgain() throws Exception {
    Counted active = serving();
    Counted standby = standbyPointingAt("localhost:" + active.server.getPort());
    Counted other = serving();
    ManagedChannel channel = keep(ControllerTargets.retryingUnavailable(
        ControllerTargets.channelBuilder(addresses(standby, active) + ",localhost:"
            + other.server.getPort(), InsecureChannelCredentials.create())).build());
    assertEquals(ServingStatus.SERVING, check(channel));
    assertEquals(1, active.calls.get());

    active.server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    standby.server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    // For a few seconds the channel keeps to the active one it was sent to (a takeover
    // takes a lease's lapse anyway), then tries every address again.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        assertEquals(ServingStatus.SERVING, check(channel));
        break;
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(System.nanoTime() < deadline, "the third address was never tried");
        Thread.sleep(200);
      }
    }
    assertEquals(1, other.calls.get());
  }

  /**
   * The active controller was killed: the standby still names it until the lease lapses, then
   * serves on its own port. A call made in between waits for it instead of failing.
   */
  @Test
  void withSeveralAddressesACallWaitsThroughATakeover() throws Exception {
    int killed = freePort();
    Counted standby = standbyPointingAt("localhost:" + killed);
    int port = standby.server.getPort();
    ManagedChannel channel = keep(ControllerTargets.oneShotChannelBuilder("localhost:" + killed
        + ",localhost:" + port, InsecureChannelCredentials.create()).build());
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    try {
      // Longer than the four tries of a single address take (1.4 s at most).
      ScheduledFuture<Counted> takenOver = later.schedule(() -> {
        standby.server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        return serving(port);
      }, 4, TimeUnit.SECONDS);
      assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus());
      assertTrue(takenOver.isDone());
      assertEquals(1, takenOver.get().calls.get(), "the call reached the new active one");
      assertTrue(standby.calls.get() >= 1, "the standby was asked before it took over");
    } finally {
      later.shutdownNow();
    }
  }

  @Test
  void aSingleAddressThatDoesNotAnswerIsTriedFourTimes() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    ManagedChannel channel = keep(ControllerTargets.oneShotChannelBuilder("localhost:"
        + freePort(), InsecureChannelCredentials.create()).intercept(counting(attempts))
        .build());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> check(channel));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals(4, attempts.get());
  }

  /** A certificate of another CA: no takeover mends that, the call ends at the first try. */
  @Test
  void aFailedHandshakeEndsTheCallAtOnceWhateverTheAddresses(@TempDir Path dir)
      throws Exception {
    TlsFiles controller = TestPki.create(dir.resolve("ours")).controller();
    Path otherCa = TestPki.create(dir.resolve("theirs")).caCertificate();
    Server server = Grpc.newServerBuilderForPort(0, TlsServerCredentials.create(
            controller.certificate().toFile(), controller.privateKey().toFile()))
        .addService(new HealthStatusManager().getHealthService()).build().start();
    servers.add(server);
    AtomicInteger attempts = new AtomicInteger();
    ManagedChannel channel = keep(ControllerTargets.oneShotChannelBuilder("localhost:"
        + freePort() + ",localhost:" + server.getPort(), TlsChannelCredentials.newBuilder()
        .trustManager(otherCa.toFile()).build()).intercept(counting(attempts)).build());

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> check(channel));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(UnmendableFailures.isUnmendable(e.getStatus()), e.getStatus().toString());
    assertTrue(attempts.get() <= 2, "tried " + attempts.get() + " times");
  }

  /** Counts a call's attempts: each has a stream tracer of its own. */
  private static ClientInterceptor counting(AtomicInteger attempts) {
    return AttemptTracing.interceptor(info -> {
      attempts.incrementAndGet();
      return new ClientStreamTracer() {};
    });
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void aBadAddressIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ControllerTargets.channelBuilder("ctl-a:8443,ctl-b",
            InsecureChannelCredentials.create()));
    assertEquals("'ctl-b' is not host:port", e.getMessage());
  }

  private static String addresses(Counted first, Counted second) {
    return "localhost:" + first.server.getPort() + ",localhost:" + second.server.getPort();
  }

  private ServingStatus check(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }

  private ManagedChannel keep(ManagedChannel channel) {
    channels.add(channel);
    return channel;
  }

  private record Counted(Server server, AtomicInteger calls) {}

  /** A controller that answers the health check SERVING. */
  private Counted serving() throws Exception {
    return serving(0);
  }

  private Counted serving(int port) throws Exception {
    AtomicInteger calls = new AtomicInteger();
    HealthStatusManager health = new HealthStatusManager();
    ServerInterceptor counting = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call,
          Metadata headers, ServerCallHandler<Q, R> next) {
        calls.incrementAndGet();
        return next.startCall(call, headers);
      }
    };
    return start(port, ServerInterceptors.intercept(health.getHealthService(), counting),
        calls);
  }

  /** A standby: every call UNAVAILABLE with the active's address in the trailer. */
  private Counted standbyPointingAt(String active) throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ServerInterceptor refuse = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call,
          Metadata headers, ServerCallHandler<Q, R> next) {
        calls.incrementAndGet();
        Metadata trailers = new Metadata();
        trailers.put(ControllerTargets.ACTIVE_CONTROLLER, active);
        call.close(Status.UNAVAILABLE.withDescription("this controller is a standby"), trailers);
        return new ServerCall.Listener<>() {};
      }
    };
    return start(0, ServerInterceptors.intercept(
        new HealthStatusManager().getHealthService(), refuse), calls);
  }

  private Counted start(int port, io.grpc.ServerServiceDefinition service,
      AtomicInteger calls) throws Exception {
    Server server = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())
        .addService(service).build().start();
    servers.add(server);
    return new Counted(server, calls);
  }
}
