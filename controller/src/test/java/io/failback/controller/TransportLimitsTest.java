package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.grpc.TransportLimits;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The controller's HTTP/2 limits and keepalive policy, over real mutual TLS. */
class TransportLimitsTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private ControllerFixture start(TransportLimits limits) throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir));
    // One certificate check an hour: a thousand idle streams need no re-validation here.
    controller.server = ControllerServer.start(controller.config(0)
        .withPeriods(Duration.ofHours(1), Duration.ofHours(1)).withTransport(limits),
        controller.clock);
    return controller;
  }

  @Test
  void aCallBeyondTheStreamLimitWaitsUntilAStreamEnds() throws Exception {
    ControllerFixture controller = start(TransportLimits.DEFAULTS);
    ManagedChannel channel = controller.channel(controller.pki.agent("hv-01"));
    cleanup.register(channel::shutdownNow);
    // Connected first: calls made while connecting are queued and may start in any order.
    Stream first = Stream.open(channel);
    first.requests.onNext(AgentMessage.getDefaultInstance());
    assertNotNull(first.poll(10_000));
    List<Stream> open = new ArrayList<>();
    for (int i = 0; i < TransportLimits.MAX_CONCURRENT_CALLS_PER_CONNECTION; i++) {
      open.add(Stream.open(channel));
    }

    // HTTP/2: the controller advertised SETTINGS_MAX_CONCURRENT_STREAMS, so the client holds
    // the next stream back instead of the controller taking on stream 1,001.
    Stream extra = Stream.open(channel);
    extra.requests.onNext(AgentMessage.getDefaultInstance());
    assertNull(extra.poll(1000), "stream 1,001 reached the controller while 1,000 were open");

    open.get(0).requests.onCompleted();
    Status answered = extra.poll(10_000);
    assertNotNull(answered, "stream 1,001 never started after another ended");
    // An empty message on a control stream: the controller read it, so the stream started.
    assertEquals(Status.Code.INVALID_ARGUMENT, answered.getCode(), answered.toString());
  }

  @Test
  void anOversizedMessageIsResourceExhausted() throws Exception {
    ControllerFixture controller = start(TransportLimits.DEFAULTS);
    ManagedChannel channel = controller.channel(controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> FailoverServiceGrpc.newBlockingStub(channel).plannedFailover(
            PlannedFailoverRequest.newBuilder().setRecoveryPlan(
                "p".repeat(TransportLimits.MAX_INBOUND_MESSAGE_BYTES + 1)).build()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(),
        e.getStatus().toString());
  }

  @Test
  void anAgentPingingAtItsIntervalKeepsItsConnectionAcrossManyPeriods() throws Exception {
    // Time compressed 100-fold: the agent pings every 300 ms, the controller permits 150 ms.
    Duration agentPing = Duration.ofMillis(300);
    ControllerFixture controller = start(TransportLimits.DEFAULTS.withKeepAlive(agentPing,
        agentPing.dividedBy(2)));
    Stream control = Stream.open(agentChannel(controller, agentPing));

    // 20 periods in which the controller sends nothing: only pings cross the connection.
    assertNull(control.poll(20 * agentPing.toMillis()), "the connection was closed");
    control.requests.onNext(AgentMessage.getDefaultInstance());
    Status answered = control.poll(10_000);
    assertNotNull(answered);
    assertEquals(Status.Code.INVALID_ARGUMENT, answered.getCode(), "the same stream is still"
        + " open and answered: " + answered);
  }

  @Test
  void grpcsDefaultPermitDroppedSuchAnAgent() throws Exception {
    // What the controller did before: grpc's default permit of 5 min, agents pinging more often.
    Duration agentPing = Duration.ofMillis(300);
    ControllerFixture controller = start(TransportLimits.DEFAULTS.withKeepAlive(
        Duration.ofMinutes(5), Duration.ofMinutes(5)));
    Stream control = Stream.open(agentChannel(controller, agentPing));

    Status dropped = control.poll(20 * agentPing.toMillis());
    assertNotNull(dropped, "the controller kept a connection pinged too often");
    // grpc-java reports the GOAWAY as RESOURCE_EXHAUSTED; what matters is why.
    assertTrue(String.valueOf(dropped.getDescription()).contains("too_many_pings"),
        dropped.toString());
  }

  /** The agent's own channel, with its keepalive set below grpc's 10 s floor for the test. */
  private ManagedChannel agentChannel(ControllerFixture controller, Duration ping)
      throws Exception {
    AgentConfig config = AgentConfig.withDefaults(controller.target(),
        controller.pki.agent("hv-01"), dir.resolve("host"))
        .withTransport(controller.server == null ? TransportLimits.DEFAULTS
            : TransportLimits.DEFAULTS.withKeepAlive(ping, ping));
    ManagedChannelBuilder<?> builder = AgentClient.channelBuilder(config,
        TlsMaterial.load(config.tls(), true));
    forceKeepAlive(builder, ping);
    ManagedChannel channel = builder.build();
    cleanup.register(channel::shutdownNow);
    return channel;
  }

  /**
   * grpc-java raises a client keepalive below 10 s to 10 s; the test sets the builder's field
   * directly so that many periods fit in seconds. Everything else is the agent's own channel.
   */
  private static void forceKeepAlive(ManagedChannelBuilder<?> builder, Duration ping)
      throws ReflectiveOperationException {
    for (Class<?> type = builder.getClass(); type != null; type = type.getSuperclass()) {
      try {
        Field field = type.getDeclaredField("keepAliveTimeNanos");
        field.setAccessible(true);
        field.setLong(builder, ping.toNanos());
        return;
      } catch (NoSuchFieldException e) {
        // look further up
      }
    }
    throw new AssertionError("no keepAliveTimeNanos in " + builder.getClass());
  }

  /** A control stream whose end, if any, is kept. */
  private static final class Stream {
    final CompletableFuture<Status> ended = new CompletableFuture<>();
    StreamObserver<AgentMessage> requests;

    static Stream open(ManagedChannel channel) {
      Stream stream = new Stream();
      stream.requests = AgentServiceGrpc.newStub(channel).connect(
          new ClientResponseObserver<AgentMessage, ControllerMessage>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<AgentMessage> call) {}

            @Override
            public void onNext(ControllerMessage message) {}

            @Override
            public void onError(Throwable t) {
              stream.ended.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
              stream.ended.complete(Status.OK);
            }
          });
      return stream;
    }

    /** How the stream ended, or null if it is still open after {@code millis}. */
    Status poll(long millis) throws Exception {
      try {
        return ended.get(millis, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return null;
      }
    }
  }
}
