package io.failback.controller.grpc;

import io.failback.common.disk.BlockDevice;
import io.failback.common.grpc.GrpcFrameLink;
import io.failback.common.sync.DigestSets;
import io.failback.common.sync.DiskSync;
import io.failback.common.sync.LaneConnector;
import io.failback.common.text.BoundedText;
import io.failback.common.sync.LinkException;
import io.failback.common.sync.SyncException;
import io.failback.common.sync.SyncProgress;
import io.failback.common.sync.Throttle;
import io.failback.common.tls.PeerIdentity;
import io.failback.controller.agents.AgentConnection;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.sync.AgentSyncRevision;
import io.failback.controller.sync.ChangeReferenceUnknownException;
import io.failback.controller.sync.DiskSyncs;
import io.failback.controller.sync.JobEncryption;
import io.failback.controller.sync.ReadPointGoneException;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.SyncDiskResponse;
import io.failback.proto.v1.SyncOpen;
import io.failback.proto.v1.SyncOpened;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The controller's side of block sync over {@code AgentService.SyncDisk}: announces sessions on
 * the control stream, accepts the lanes' data streams the agent opens, and runs the engine.
 *
 * <p>Resume checkpoints are chosen when the controller's lane thread takes a stream, not when
 * the stream arrives, so both ends restart from the same durable point even if the previous
 * run of the lane was still settling when the agent reconnected.
 */
public final class SyncStreams implements DiskSyncs, AutoCloseable {
  /** How long a lane's thread waits for a stream: a stream's own deadline is DataStreams'. */
  private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(60);
  private static final int MAX_ATTEMPTS_PER_LANE = 20;
  /**
   * Streams that may wait for one lane's thread. An agent opens a lane's stream again only
   * after the previous one broke, and gives the lane up after as many broken links as this
   * side does (AgentSyncRunner's MAX_ATTEMPTS_PER_LANE is 20 too): it never queues more.
   */
  private static final int MAX_QUEUED_PER_LANE = MAX_ATTEMPTS_PER_LANE;
  /** How long a session that ended here waits for the agent's own report. */
  private static final Duration AGENT_REPORT_GRACE = Duration.ofSeconds(10);
  /**
   * The same, once the session was cancelled here: the report would add nothing to a cancel,
   * and a rollback does not need it (the agent's own rollback waits for the session's writes
   * to end), so a hung agent or a stalled link must not hold the cancel.
   */
  private static final Duration CANCELLED_REPORT_GRACE = Duration.ofSeconds(1);
  /** How often a session done here looks whether the agent whose report it awaits is gone. */
  private static final Duration AGENT_WATCH = Duration.ofSeconds(1);

  private final AgentRegistry registry;
  private final DataStreams streams = new DataStreams();
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final ExecutorService runners = Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "controller-sync");
    thread.setDaemon(true);
    return thread;
  });

  private final DigestSets digestSets;

  public SyncStreams(AgentRegistry registry, DigestSets digestSets) {
    this.registry = registry;
    this.digestSets = digestSets;
  }

  @Override
  public CompletableFuture<SyncOutcome> sync(String hostName, StartSync announced,
      BlockDevice local, Map<Integer, LaneCheckpoint> resumeFrom,
      Consumer<LaneCheckpoint> durable, SyncProgress progress, BitSet changedBlocks,
      JobEncryption encryption, Throttle throttle) {
    int revision = registry.connection(hostName).map(AgentConnection::syncRevision).orElse(0);
    String refused = AgentSyncRevision.refusal(revision, announced);
    if (refused != null) {
      return CompletableFuture.failedFuture(
          new SyncException(SyncException.Kind.FAILED_PRECONDITION, refused));
    }
    // The session as the host's agent can take it (AgentSyncRevision).
    SyncParameters.Builder spoken = AgentSyncRevision.spokenBy(revision,
        announced.getParameters()).toBuilder();
    StartSync start = announced.toBuilder().setParameters(encryption == null ? spoken
        : spoken.setEncryption(encryption.wire())).build();
    String id = start.getParameters().getSessionId();
    // The agent process the session is announced to. Another process (a restart) knows nothing
    // of the session, and a host offline for longer than the heartbeat timeout is not coming
    // back soon: its lanes will not reopen here. The same process reconnecting after a cut
    // link reopens them, and the session goes on.
    String agent = registry.agentInstance(hostName).orElse(null);
    Session session = new Session(AgentRegistry.normalize(hostName),
        start.getParameters().getLaneCount(), resumeFrom,
        () -> agent == null || !agent.equals(registry.agentInstance(hostName).orElse(null))
            || registry.offlineFor(hostName).compareTo(registry.heartbeatTimeout()) > 0);
    if (sessions.putIfAbsent(id, session) != null) {
      return CompletableFuture.failedFuture(new IllegalStateException("sync session " + id
          + " is already running"));
    }
    SyncRole role = start.getAgentRole() == SyncRole.TARGET ? SyncRole.SOURCE : SyncRole.TARGET;
    CompletableFuture<DiskSync.Result> ours = CompletableFuture.supplyAsync(() -> {
      try {
        return new DiskSync(start.getParameters(), role, local, session, checkpoint -> {
          session.checkpoints.put(checkpoint.getLane(), checkpoint);
          durable.accept(checkpoint);
        }, progress, MAX_ATTEMPTS_PER_LANE, Duration.ofSeconds(1),
            new DiskSync.Options(digestSets, changedBlocks,
                encryption == null ? null : encryption.key(), throttle)).run();
      } catch (SyncException | InterruptedException e) {
        throw new CompletionException(e);
      }
    }, runners);
    CompletableFuture<CommandResult> theirs = registry.send(hostName, Command.newBuilder()
        .setCommandId(UUID.randomUUID().toString()).setStartSync(start).build());
    theirs.whenComplete((result, failure) -> {
      if (failure != null || !result.getError().isEmpty()) {
        // The agent gave up (or could not start): stop waiting for its lanes.
        session.abandon(failure != null ? String.valueOf(failure.getMessage())
            : result.getError());
      }
    });
    // Cancelled once this side is done: the agent's report may wait for something else (a
    // read point its other sessions share, kept for a session that failed), and the job that
    // cancelled must not wait with it.
    session.cancellation.thenAccept(reason -> theirs.completeOnTimeout(CommandResult
        .newBuilder().setError("no report from host " + hostName + " within "
            + CANCELLED_REPORT_GRACE.toSeconds() + " s after the session was cancelled here: "
            + reason).build(), CANCELLED_REPORT_GRACE.toMillis(), TimeUnit.MILLISECONDS));
    ours.whenComplete((result, failure) -> {
      if (failure != null && session.agentGone.getAsBoolean()) {
        theirs.complete(CommandResult.newBuilder().setError("the agent of host " + hostName
            + " went away during the session").build());
      } else if (failure != null) {
        // Our side ended (cancelled, or the agent's streams are gone): a live agent reports
        // within moments; a dead or cut-off one must not hold the job for the command timeout.
        Duration grace = session.cancelled != null ? CANCELLED_REPORT_GRACE : AGENT_REPORT_GRACE;
        theirs.completeOnTimeout(CommandResult.newBuilder().setError("no report from host "
            + hostName + " within " + grace.toSeconds() + " s after the session ended here")
            .build(), grace.toMillis(), TimeUnit.MILLISECONDS);
      } else {
        // Done here; the agent reports after its own end (a reference point made, a read point
        // released), and one that dies in between never does: its job must say that it waits
        // for the agent, and how long, instead of waiting in silence for a process gone.
        watchForAgentGone(session, theirs, hostName);
      }
    });
    return ours.thenCombine(theirs, (result, report) -> {
      if (!report.getError().isEmpty()) {
        throw new CompletionException(new SyncException(SyncException.Kind.FAILED_PRECONDITION,
            "agent: " + report.getError()));
      }
      return new SyncOutcome(result, report.getSyncReport());
    }).exceptionallyCompose(failure -> {
      // Both sides have ended here; whichever failed first, a refused reference is the cause.
      CommandResult report = theirs.isCompletedExceptionally() ? null : theirs.join();
      if (report != null && report.getReadPointGone()) {
        return CompletableFuture.failedFuture(new ReadPointGoneException("agent: "
            + report.getError()));
      }
      return CompletableFuture.failedFuture(report != null && report.getChangeReferenceUnknown()
          ? new ChangeReferenceUnknownException("agent: " + report.getError()) : failure);
    }).whenComplete((outcome, failure) -> {
      sessions.remove(id, session);
      session.end();
    });
  }

  /**
   * Completes {@code theirs} with an error once the agent the session was announced to is gone
   * (another process, or offline beyond the heartbeat timeout), looking every second until the
   * report comes.
   */
  private static void watchForAgentGone(Session session, CompletableFuture<CommandResult> theirs,
      String hostName) {
    if (theirs.isDone()) {
      return;
    }
    if (session.agentGone.getAsBoolean()) {
      theirs.complete(CommandResult.newBuilder().setError("the agent of host " + hostName
          + " went away after the session's last batch, before its report").build());
      return;
    }
    CompletableFuture.delayedExecutor(AGENT_WATCH.toMillis(), TimeUnit.MILLISECONDS)
        .execute(() -> watchForAgentGone(session, theirs, hostName));
  }

  @Override
  public boolean busy(String hostName) {
    String host = AgentRegistry.normalize(hostName);
    return sessions.values().stream().anyMatch(s -> s.host.equals(host));
  }

  @Override
  public void cancel(String sessionId, String reason) {
    Session session = sessions.get(sessionId);
    if (session != null) {
      session.cancel(reason);
    }
  }

  /** Ends every session of {@code hostName} now: its agent was fenced or removed. */
  public void cutHost(String hostName, String reason) {
    String host = AgentRegistry.normalize(hostName);
    sessions.values().stream().filter(s -> s.host.equals(host)).forEach(s -> s.cancel(reason));
  }

  /** Handles a data stream the agent opened. */
  StreamObserver<SyncDiskRequest> accept(PeerIdentity peer,
      ServerCallStreamObserver<SyncDiskResponse> responses) {
    return streams.accept(peer.name(), responses,
        (open, link) -> admit(peer, open, responses, link));
  }

  /** How long a data stream may go without its SyncOpen from now on (a test shortens it). */
  public void openDeadline(Duration deadline) {
    streams.openDeadline(deadline);
  }

  private Status admit(PeerIdentity peer, SyncOpen open,
      ServerCallStreamObserver<SyncDiskResponse> responses, GrpcFrameLink<SyncDiskResponse> link) {
    Session session = sessions.get(open.getSessionId());
    if (session == null) {
      return Status.FAILED_PRECONDITION.withDescription("unknown sync session "
          + BoundedText.quote(open.getSessionId())
          + "; sessions are announced on the control stream");
    }
    if (!session.host.equals(peer.name())) {
      return Status.PERMISSION_DENIED.withDescription("sync session " + open.getSessionId()
          + " belongs to host " + session.host + ", not " + peer.name());
    }
    // uint32 on the wire: 4294967295 arrives as -1.
    long lane = Integer.toUnsignedLong(open.getLane());
    if (lane >= session.arrivals.length) {
      return Status.INVALID_ARGUMENT.withDescription("lane " + lane
          + " is out of range; the session has " + session.arrivals.length + " lanes");
    }
    // A lane that comes after the session ended (an agent resuming a lane whose stream the
    // cancel broke) would wait in the queue forever: refuse it so that the agent stops, and
    // check again after queueing, as the session may end in between.
    Status ended = ended(session, open.getSessionId());
    if (ended != null) {
      return ended;
    }
    Arrival arrival = new Arrival(link, responses);
    if (!session.arrivals[open.getLane()].offer(arrival)) {
      return Status.RESOURCE_EXHAUSTED.withDescription("lane " + lane + " of sync session "
          + open.getSessionId() + " has " + MAX_QUEUED_PER_LANE + " streams waiting already");
    }
    ended = ended(session, open.getSessionId());
    return ended != null && session.arrivals[open.getLane()].remove(arrival) ? ended : null;
  }

  /** FAILED_PRECONDITION, so that the agent does not retry, once the session has ended. */
  private static Status ended(Session session, String id) {
    String reason = session.cancelled != null ? session.cancelled : session.abandoned;
    return reason == null ? null : Status.FAILED_PRECONDITION.withDescription("sync session "
        + id + " has ended: " + reason);
  }

  /** A data stream waiting for the controller's lane thread. */
  private record Arrival(GrpcFrameLink<SyncDiskResponse> link,
      ServerCallStreamObserver<SyncDiskResponse> responses) {}

  /** One running session: where its lanes' streams arrive and its latest checkpoints. */
  private static final class Session implements LaneConnector {
    final String host;
    final BlockingQueue<Arrival>[] arrivals;
    final Map<Integer, LaneCheckpoint> checkpoints = new ConcurrentHashMap<>();
    private final java.util.List<GrpcFrameLink<SyncDiskResponse>> links =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile String abandoned;
    private volatile String cancelled;
    /** Completes with the reason when the session is cancelled. */
    final CompletableFuture<String> cancellation = new CompletableFuture<>();

    /** Whether the agent the session was announced to no longer serves the host. */
    final java.util.function.BooleanSupplier agentGone;

    @SuppressWarnings("unchecked")
    Session(String host, int lanes, Map<Integer, LaneCheckpoint> resumeFrom,
        java.util.function.BooleanSupplier agentGone) {
      this.host = host;
      this.agentGone = agentGone;
      this.arrivals = new BlockingQueue[lanes];
      for (int i = 0; i < lanes; i++) {
        arrivals[i] = new LinkedBlockingQueue<>(MAX_QUEUED_PER_LANE);
      }
      checkpoints.putAll(resumeFrom);
    }

    @Override
    public OpenLane open(int lane) throws SyncException, LinkException, InterruptedException {
      long deadline = System.nanoTime() + OPEN_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        if (cancelled != null) {
          throw new SyncException(SyncException.Kind.CANCELLED, cancelled);
        }
        if (abandoned != null) {
          throw new SyncException(SyncException.Kind.CANCELLED, "agent: " + abandoned);
        }
        if (agentGone.getAsBoolean()) {
          // Its lanes will not reopen here: a restarted agent knows nothing of this session.
          throw new SyncException(SyncException.Kind.FAILED_PRECONDITION, "the agent of host "
              + host + " went away (disconnected or restarted) during the session");
        }
        Arrival arrival = arrivals[lane].poll(100, TimeUnit.MILLISECONDS);
        if (arrival != null) {
          LaneCheckpoint start = checkpoints.get(lane);
          SyncOpened.Builder opened = SyncOpened.newBuilder();
          if (start != null) {
            opened.setResumeFrom(start);
          }
          arrival.link().sendHandshake(SyncDiskResponse.newBuilder().setOpened(opened).build());
          arrival.link().start();
          links.add(arrival.link());
          return new OpenLane(arrival.link(), start);
        }
      }
      throw new LinkException("the agent did not open lane " + lane + " within "
          + OPEN_TIMEOUT.toSeconds() + " s");
    }

    /** The operator's cancel: every lane stops at its next frame, on both sides. */
    void cancel(String reason) {
      cancelled = reason;
      SyncException stop = new SyncException(SyncException.Kind.CANCELLED, reason);
      links.forEach(link -> link.cancel(stop));
      abandon(reason);
      cancellation.complete(reason);
    }

    /**
     * Ends this side of every stream the session's lanes took: the session is over, and a lane
     * it interrupted, or one whose peer stopped, left its stream open for the agent to end.
     */
    void end() {
      abandon("the session ended");
      SyncException over = new SyncException(SyncException.Kind.CANCELLED,
          "the sync session ended");
      links.forEach(link -> link.cancel(over));
    }

    void abandon(String reason) {
      if (abandoned == null) {
        abandoned = reason;
      }
      for (BlockingQueue<Arrival> queue : arrivals) {
        Arrival stale;
        while ((stale = queue.poll()) != null) {
          stale.responses().onError(Status.CANCELLED
              .withDescription("the sync session ended").asRuntimeException());
        }
      }
    }
  }

  @Override
  public boolean deleteDigestSet(String name) throws java.io.IOException {
    return digestSets.delete(name);
  }

  @Override
  public void close() {
    sessions.values().forEach(session -> session.abandon("controller shutting down"));
    runners.shutdownNow();
    streams.close();
  }
}
