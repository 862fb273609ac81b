package io.failback.agent.grpc;

import com.google.protobuf.util.Timestamps;
import io.failback.agent.drill.DrillCommands;
import io.failback.agent.encryption.EncryptionCertificateStore;
import io.failback.agent.hyperv.DiskSampler;
import io.failback.agent.hyperv.NewVm;
import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.agent.undo.UndoCommands;
import io.failback.common.metrics.SyncMeter;
import io.failback.common.retry.Backoff;
import io.failback.common.sync.DigestSets;
import io.failback.common.sync.SessionGeometry;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.Heartbeat;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.Register;
import io.failback.proto.v1.Registered;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's control stream: dial out, register the inventory, heartbeat, run commands, and
 * after any drop reconnect with back-off and register again. All state changes run on the
 * single-threaded {@code scheduler} or under this object's lock; gRPC callbacks only hand
 * work over, so nothing blocks a gRPC thread, except the echo of a round-trip probe, sent at
 * once under the lock that only reconnecting holds for long (while it reads the inventory).
 */
public final class ControlSession implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlSession.class);

  private final AgentServiceGrpc.AgentServiceStub stub;
  private final GuardedHypervisor driver;
  private final String agentVersion;
  private final ScheduledExecutorService scheduler;
  private final Backoff backoff;
  private final Clock clock;
  private final String instanceId = UUID.randomUUID().toString();
  private final SessionListener listener;
  private final AgentSyncRunner syncs;
  private final DiskSampler sampler;
  private final UndoCommands undo;
  private final VmCommands vmCommands;
  private final DrillCommands drills;
  private final io.failback.agent.release.VmRelease release;
  private final BackgroundCommands background = new BackgroundCommands(this::deliver);
  private final InventoryReports inventories;
  /** Results finished while the control stream was down; sent after the next registration. */
  private final List<CommandResult> undelivered = new ArrayList<>();
  private StreamObserver<AgentMessage> requests;
  /** The stream a move to a new connection left open until the new one registers. */
  private StreamObserver<AgentMessage> moving;
  private boolean registered;
  private ScheduledFuture<?> heartbeats;
  /** Set when {@link #close} begins: no new command runs. */
  private volatile boolean closing;
  private boolean closed;
  private int attempt;

  /** Hears what the session does; the service logs it, tests count it. */
  public interface SessionListener {
    default void registered(Registered registered) {}

    default void disconnected(Status status, Duration retryIn) {}
  }

  /** @param meter where the sync sessions count their bytes and blocks for scraping */
  public ControlSession(AgentChannels channels, GuardedHypervisor driver, String agentVersion,
      ScheduledExecutorService scheduler, Backoff backoff, Clock clock,
      SessionListener listener, DigestSets digestSets, EncryptionCertificateStore encryption,
      SyncMeter meter) {
    this.stub = AgentServiceGrpc.newStub(channels.control());
    this.sampler = new DiskSampler(driver);
    this.undo = new UndoCommands(driver);
    this.vmCommands = new VmCommands(driver, undo);
    this.drills = new DrillCommands(driver);
    this.syncs = new AgentSyncRunner(channels, driver, digestSets, encryption, meter);
    this.release = new io.failback.agent.release.VmRelease(driver, digestSets, syncs.parked());
    this.inventories = new InventoryReports(driver, agentVersion, encryption);
    this.driver = driver;
    this.agentVersion = agentVersion;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.clock = clock;
    this.listener = listener;
  }

  /**
   * Starts connecting; returns at once. Read points a previous run left open are discarded
   * first, before any session could need one.
   */
  public void start() {
    scheduler.execute(() -> {
      try {
        driver.readPoints().recover();
      } finally {
        connect();
      }
    });
  }

  /**
   * Moves the control stream to a new connection of the (renewed) channel: a full handshake
   * there presents this agent's current certificate, where the open connection keeps showing
   * the one it was made with until the controller cuts it when that one expires or is revoked.
   * The new stream registers before the old one is closed, so the controller replaces the one
   * with the other (the same agent instance: commands sent on either are still answered) and
   * never sees the host go away. Not connected: the next connect uses the new channel anyway.
   */
  public void moveToNewConnection(String why) {
    scheduler.execute(() -> {
      synchronized (this) {
        if (closed || closing || requests == null || moving != null) {
          return;
        }
        moving = requests;
        registered = false;
        cancelHeartbeats();
      }
      log.info("moving the control stream to a new connection (" + why + ")");
      connect();
    });
  }

  private synchronized void connect() {
    if (closed || closing) {
      return;
    }
    attempt++;
    HostInventory inventory;
    try {
      inventory = inventories.read();
    } catch (IOException e) {
      log.warn("cannot read the hypervisor inventory: " + e.getMessage());
      scheduleReconnect(Status.UNAVAILABLE.withDescription(e.getMessage()));
      return;
    }
    requests = stub.connect(new Responses(attempt));
    // Under the lock: nothing (an echo of the old stream's probe) may go before the Register.
    inventories.reported(inventory);
    register(inventory);
  }

  private void register(HostInventory inventory) {
    send(AgentMessage.newBuilder().setRegister(Register.newBuilder()
        .setInventory(inventory).setAgentInstanceId(instanceId)
        .setSyncRevision(SessionGeometry.PROTOCOL_REVISION).setAnswersRoundTrips(true)
        .setStreamSequence(attempt)).build());
  }

  /** Registers again when the host changed: the controller's view lags one heartbeat at most. */
  private void reportIfChanged() {
    try {
      inventories.changed().ifPresent(this::register);
    } catch (IOException e) {
      log.warn("cannot read the hypervisor inventory: " + e.getMessage());
    }
  }

  /** Answers a round-trip probe on the stream it came on; one of a replaced stream is dropped. */
  private synchronized void echo(int attemptOfStream, ControllerMessage probe) {
    if (attemptOfStream == attempt) {
      send(AgentMessage.newBuilder().setRoundTrip(probe.getRoundTrip()).build());
    }
  }

  private synchronized void send(AgentMessage message) {
    if (requests != null && !closed) {
      requests.onNext(message);
    }
  }

  private final class Responses implements StreamObserver<ControllerMessage> {
    private final int attemptOfStream;

    Responses(int attemptOfStream) {
      this.attemptOfStream = attemptOfStream;
    }

    @Override
    public void onNext(ControllerMessage message) {
      switch (message.getKindCase()) {
        case REGISTERED -> hand(() -> onRegistered(attemptOfStream, message.getRegistered()));
        case COMMAND -> hand(() -> run(message.getCommand()));
        // At once, on this thread: a queue here would count in the controller's measure.
        case ROUND_TRIP -> echo(attemptOfStream, message);
        default -> log.warn("ignoring a controller message of unknown kind; is the"
            + " controller newer than this agent?");
      }
    }

    @Override
    public void onError(Throwable t) {
      Status status = Status.fromThrowable(t);
      hand(() -> onDisconnected(attemptOfStream, status));
    }

    @Override
    public void onCompleted() {
      hand(() -> onDisconnected(attemptOfStream,
          Status.UNAVAILABLE.withDescription("controller ended the control stream")));
    }

    /** Hands work to the session thread; after close there is nothing left to do. */
    private void hand(Runnable work) {
      try {
        scheduler.execute(work);
      } catch (RejectedExecutionException stopped) {
        // The agent is stopping.
      }
    }
  }

  /** Whether the controller has accepted this agent's registration on the current stream. */
  public synchronized boolean isRegistered() {
    return registered;
  }

  private synchronized void onRegistered(int attemptOfStream, Registered registered) {
    // A late answer on a stream the agent moved off says nothing of the new one.
    if (closed || attemptOfStream != attempt) {
      return;
    }
    backoff.reset();
    this.registered = true;
    endMovedStream();
    undelivered.forEach(this::deliver);
    undelivered.clear();
    cancelHeartbeats();
    long interval = Math.max(50, com.google.protobuf.util.Durations.toMillis(
        registered.getHeartbeatInterval()));
    heartbeats = scheduler.scheduleAtFixedRate(this::heartbeat, interval, interval,
        TimeUnit.MILLISECONDS);
    log.info("registered with the controller as host " + registered.getHostName());
    listener.registered(registered);
  }

  private void heartbeat() {
    send(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()
        .setSentAt(Timestamps.fromMillis(clock.millis()))).build());
    reportIfChanged();
  }

  private void run(Command command) {
    CommandResult.Builder result = CommandResult.newBuilder()
        .setCommandId(command.getCommandId());
    if (closing) {
      deliver(result.setError("agent stopping: command " + command.getKindCase()
          + " was not run").build());
      return;
    }
    switch (command.getKindCase()) {
      case START_SYNC -> {
        syncs.start(command.getCommandId(), command.getStartSync(), this::deliver);
        return;
      }
      case CREATE_VM -> {
        // Creating disks and a VM takes a while on a real host: off the stream's thread. The
        // controller learns the host's new state with the answer.
        background.run(result, "cannot create VM " + command.getCreateVm().getName(),
            () -> result.setCreatedVmId(driver.createVm(NewVm.of(command.getCreateVm())).getId())
                .setInventory(inventories.read()));
        return;
      }
      case SAMPLE_DIGESTS -> {
        background.run(result, "cannot sample " + command.getSampleDigests().getDiskPath(),
            () -> result.setSampleDigests(sampler.sample(command.getSampleDigests())));
        return;
      }
      case REFRESH_INVENTORY -> {
        try {
          result.setInventory(inventories.read());
        } catch (IOException e) {
          result.setError("cannot read the hypervisor inventory: " + e.getMessage());
        }
      }
      case STOP_VM, START_VM, CLEAR_INCONSISTENT, DISCARD_UNDO ->
          vmCommand(result, () -> vmCommands.run(command));
      case ROLLBACK_DISKS -> {
        background.run(result, "cannot roll back the disks of VM " + command.getRollbackDisks()
            .getVmId(), () -> undo.rollback(command.getRollbackDisks(), result));
        return;
      }
      case RELEASE_VM -> {
        background.run(result, "VM " + command.getReleaseVm().getVmId() + " not released",
            () -> result.setReleaseReport(release.release(command.getReleaseVm())));
        return;
      }
      case CREATE_DRILL_VM, DELETE_DRILL_VM -> {
        // Seeding a drill VM's disks reads the on-prem VM's: minutes for large ones.
        background.run(result, "drill VM not " + (command.hasCreateDrillVm() ? "created"
            : "deleted"), () -> drills.run(command, result, inventories::read));
        return;
      }
      default -> result.setError("this agent (" + agentVersion + ") does not know command "
          + command.getKindCase());
    }
    deliver(result.build());
  }

  /** Runs a VM command; the result carries the fresh inventory, or the error. */
  private void vmCommand(CommandResult.Builder result, BackgroundCommands.Action action) {
    try {
      action.run();
      result.setInventory(inventories.read());
    } catch (IOException e) {
      result.setError(e.getMessage());
    }
  }

  /** Sends a command result now, or after the next registration if the stream is down. */
  private synchronized void deliver(CommandResult result) {
    if (registered && requests != null) {
      requests.onNext(AgentMessage.newBuilder().setCommandResult(result).build());
    } else if (!closed) {
      undelivered.add(result);
    }
  }

  private synchronized void onDisconnected(int attemptOfStream, Status status) {
    if (closed || closing || attemptOfStream != attempt) {
      return;
    }
    requests = null;
    registered = false;
    endMovedStream();
    cancelHeartbeats();
    scheduleReconnect(status);
  }

  /** Half-closes the stream a move left, if the controller has not closed it already. */
  private synchronized void endMovedStream() {
    if (moving == null) {
      return;
    }
    try {
      moving.onCompleted();
    } catch (IllegalStateException alreadyClosed) {
      // The controller closed it when the new stream registered.
    }
    moving = null;
  }

  private void scheduleReconnect(Status status) {
    Duration delay = backoff.next();
    log.warn("control stream down (" + status.getCode() + ": " + status.getDescription()
        + "); reconnecting in " + delay.toMillis() + " ms");
    listener.disconnected(status, delay);
    scheduler.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void cancelHeartbeats() {
    if (heartbeats != null) {
      heartbeats.cancel(false);
      heartbeats = null;
    }
  }

  /**
   * Ends the session gracefully; no reconnect follows. Running syncs stop at a batch boundary
   * and their results ("agent stopping") still go out on the control stream, which is then
   * half-closed.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closing) {
        return;
      }
      closing = true;
    }
    // Outside the lock: the sessions deliver their results through it while they wind down.
    syncs.close();
    background.shutdownNow();
    synchronized (this) {
      cancelHeartbeats();
      if (requests != null) {
        requests.onCompleted();
      }
      closed = true;
      requests = null;
    }
  }
}
