package io.failback.controller.grpc;

import io.failback.common.text.BoundedText;
import io.failback.common.tls.PeerIdentity;
import io.failback.controller.agents.boundary.AgentInputException;
import io.failback.controller.agents.boundary.RegisterValidator;
import io.failback.controller.agents.AgentConnection;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.Register;
import io.failback.proto.v1.Registered;
import io.github.bucket4j.Bucket;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's control stream: registration, heartbeats and command results in; commands out.
 *
 * <p>The agent may register only as the host named in its certificate. Writes come from gRPC
 * threads and from the registry (commands, expiry), so they are serialized here, and nothing
 * is written after the stream ended.
 */
final class ControlStream implements StreamObserver<AgentMessage>, AgentConnection {
  private static final Logger log = LoggerFactory.getLogger(ControlStream.class);
  /**
   * Messages a stream may send at once, then per second. An agent sends a heartbeat per
   * interval, an echo per probe, an answer per command: far below. Each message takes the
   * registry's lock (every host's), so a compromised host that sent them in a loop took a core
   * of the controller and held back every other host's heartbeats and commands.
   */
  static final int BURST = 1000;
  static final int PER_SECOND = 100;

  private final AgentRegistry registry;
  private final PeerIdentity peer;
  private final String remoteAddress;
  private final StreamObserver<ControllerMessage> responses;
  private boolean ended;
  private String hostName;
  /** From the last Register on this stream; a newer one may say more. */
  private volatile int syncRevision;
  private volatile boolean answersRoundTrips;
  private final Bucket budget = Bucket.builder().addLimit(limit -> limit.capacity(BURST)
      .refillGreedy(PER_SECOND, Duration.ofSeconds(1))).build();

  ControlStream(AgentRegistry registry, PeerIdentity peer, String remoteAddress,
      StreamObserver<ControllerMessage> responses) {
    this.registry = registry;
    this.peer = peer;
    this.remoteAddress = remoteAddress;
    this.responses = responses;
  }

  @Override
  public void onNext(AgentMessage message) {
    if (!budget.tryConsume(1)) {
      fail(Status.RESOURCE_EXHAUSTED.withDescription("more than " + BURST + " messages at once"
          + " and " + PER_SECOND + " a second since on this control stream; reconnect"));
      return;
    }
    try {
      switch (message.getKindCase()) {
        case REGISTER -> register(message.getRegister());
        case HEARTBEAT -> registry.heartbeat(registeredHost(), this);
        case COMMAND_RESULT -> registry.commandResult(registeredHost(), message.getCommandResult());
        case ROUND_TRIP -> registry.roundTripAnswered(registeredHost(), message.getRoundTrip(),
            this);
        default -> throw Status.INVALID_ARGUMENT
            .withDescription("AgentMessage carries no known kind; is the agent newer than the"
                + " controller?")
            .asRuntimeException();
      }
    } catch (StatusRuntimeException e) {
      fail(e.getStatus());
    } catch (AgentInputException e) {
      fail(AgentStatus.of(e));
    } catch (StoreException e) {
      log.error("control stream of " + peer + ": " + e.getMessage());
      fail(Status.UNAVAILABLE.withDescription("controller cannot record the agent: "
          + e.getMessage()));
    }
  }

  private void register(Register register) throws StoreException, AgentInputException {
    String claimed = register.getInventory().getHostName();
    if (claimed.isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription("Register.inventory.host_name is empty")
          .asRuntimeException();
    }
    if (!AgentRegistry.normalize(claimed).equals(peer.name())) {
      throw Status.PERMISSION_DENIED
          .withDescription("agent certificate " + peer.spiffeId() + " is for host '"
              + peer.name() + "'; it may not register as host " + BoundedText.quote(claimed))
          .asRuntimeException();
    }
    RegisterValidator.checkInstanceId(register.getAgentInstanceId(), peer.name());
    synchronized (this) {
      if (ended) {
        return;
      }
      hostName = peer.name();
    }
    // Before the registry hands this stream out: a session announced on it may rely on it.
    syncRevision = register.getSyncRevision();
    answersRoundTrips = register.getAnswersRoundTrips();
    if (!registry.register(peer.name(), register.getInventory(), remoteAddress,
        register.getAgentInstanceId(), register.getStreamSequence(), this)) {
      fail(Status.ABORTED.withDescription("control stream " + register.getStreamSequence()
          + " of this agent process was overtaken by a later one that registered first"));
      return;
    }
    send(ControllerMessage.newBuilder()
        .setRegistered(Registered.newBuilder()
            .setHostName(peer.name())
            .setHeartbeatInterval(toProto(registry.heartbeatInterval()))
            .setHeartbeatTimeout(toProto(registry.heartbeatTimeout())))
        .build());
    registry.probeRoundTrip(peer.name(), this);
  }

  @Override
  public int syncRevision() {
    return syncRevision;
  }

  @Override
  public boolean answersRoundTrips() {
    return answersRoundTrips;
  }

  private synchronized String registeredHost() {
    if (hostName == null) {
      throw Status.FAILED_PRECONDITION
          .withDescription("the first message on a control stream must be Register")
          .asRuntimeException();
    }
    return hostName;
  }

  @Override
  public void onError(Throwable t) {
    endOnce();
  }

  @Override
  public void onCompleted() {
    if (endOnce()) {
      synchronized (this) {
        responses.onCompleted();
      }
    }
  }

  @Override
  public Optional<Instant> certificateNotAfter() {
    return Optional.of(peer.leaf().getNotAfter().toInstant());
  }

  @Override
  public synchronized void send(ControllerMessage message) {
    if (!ended) {
      responses.onNext(message);
    }
  }

  @Override
  public void close(String reason) {
    fail(Status.UNAVAILABLE.withDescription(reason));
  }

  private void fail(Status status) {
    if (endOnce()) {
      synchronized (this) {
        responses.onError(status.asRuntimeException());
      }
    }
  }

  /** Marks the stream ended once; returns whether this call did it. */
  private boolean endOnce() {
    String host;
    synchronized (this) {
      if (ended) {
        return false;
      }
      ended = true;
      host = hostName;
    }
    if (host != null) {
      registry.disconnected(host, this);
    }
    return true;
  }

  private static com.google.protobuf.Duration toProto(Duration duration) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(duration.getSeconds())
        .setNanos(duration.getNano()).build();
  }
}
