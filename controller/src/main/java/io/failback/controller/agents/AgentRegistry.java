package io.failback.controller.agents;

import io.failback.controller.agents.boundary.AgentInputException;
import io.failback.controller.agents.boundary.CommandResultValidator;
import io.failback.controller.agents.boundary.InventoryValidator;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreException;
import io.failback.controller.store.StoredHost;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HostStatus;
import io.failback.proto.v1.RefreshInventory;
import io.failback.proto.v1.RoundTrip;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which agents are connected, when each was last heard from, and what they reported.
 *
 * <p>A host is online while it has a live control stream whose last heartbeat is younger than
 * the heartbeat timeout; {@link #expireStale()} enforces the timeout. Inventory and last-seen
 * times are persisted, so hosts are known (offline) across a controller restart.
 */
public final class AgentRegistry {
  private static final Logger log = LoggerFactory.getLogger(AgentRegistry.class);
  /** How long an answer nobody waits for (a refresh of the inventory) is still taken. */
  static final Duration UNAWAITED_ANSWER = Duration.ofMinutes(10);

  private final ControllerStore store;
  private final Clock clock;
  private final Duration heartbeatInterval;
  private final Duration heartbeatTimeout;
  private final Map<String, Live> live = new HashMap<>();
  private final PendingCommands pending = new PendingCommands();
  private final MovedStreams moved = new MovedStreams();
  private final Map<String, String> refusals = new HashMap<>();
  private final OwnedInventories owned;
  private final RoundTrips roundTrips = new RoundTrips(System::nanoTime);
  private final RegistrationPace pace;
  private final UnawaitedAnswers unawaited;
  private final LongSupplier nanos;

  /** {@code recorded}: when the store last took a heartbeat of it, in {@link #nanos}. */
  private record Live(AgentConnection connection, Instant lastHeartbeat, long recorded) {}
  /** The agent process that registered each host last, while this runs. */
  private final AgentProcesses processes = new AgentProcesses();
  /** When each host's control stream ended, in System.nanoTime(), while it is offline. */
  private final Map<String, Long> offlineSince = new HashMap<>();

  public AgentRegistry(ControllerStore store, Clock clock, Duration heartbeatInterval,
      Duration heartbeatTimeout) {
    this(store, clock, heartbeatInterval, heartbeatTimeout, System::nanoTime);
  }

  /** {@code nanos} paces registrations and heartbeats: monotonic, as the wall clock is not. */
  AgentRegistry(ControllerStore store, Clock clock, Duration heartbeatInterval,
      Duration heartbeatTimeout, LongSupplier nanos) {
    this.store = store;
    this.clock = clock;
    this.heartbeatInterval = heartbeatInterval;
    this.heartbeatTimeout = heartbeatTimeout;
    this.owned = new OwnedInventories(store);
    this.pace = new RegistrationPace(nanos, heartbeatInterval);
    this.unawaited = new UnawaitedAnswers(nanos);
    this.nanos = nanos;
  }

  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  public Duration heartbeatTimeout() {
    return heartbeatTimeout;
  }

  /**
   * Records a registration; its inventory replaces the previous one whole.
   *
   * <p>A second stream from the same host replaces the first (the agent restarted, moved to a
   * new connection, or its old connection is half-dead), so commands never go to a stream nobody
   * reads. The same agent process closes the old one itself ({@link MovedStreams}).
   *
   * @param streamSequence which of the agent process's control streams this is (0: unknown,
   *     arrival order decides)
   * @return false, changing nothing, when the same process has already registered a stream
   *     with a higher sequence: this one is from before a move whose Register overtook it, and
   *     taking it would replace the stream the agent uses with one it has left
   * @throws AgentInputException also when the host registers too often, checked first
   */
  public synchronized boolean register(String hostName, HostInventory inventory,
      String remoteAddress, String agentInstanceId, long streamSequence,
      AgentConnection connection) throws StoreException, AgentInputException {
    String key = normalize(hostName);
    pace.take(key);
    Instant now = clock.instant();
    try {
      InventoryValidator.check(inventory, key);
    } catch (AgentInputException e) {
      refusals.put(key, now + ": " + e.getMessage());
      log.warn("host " + key + " registration from " + remoteAddress + " refused: "
          + e.getMessage());
      throw e;
    }
    refusals.remove(key);
    if (processes.overtaken(key, agentInstanceId, streamSequence)) {
      log.info("host " + key + " registration from " + remoteAddress + " on stream "
          + streamSequence + " refused: stream " + processes.latestStream(key)
          + " of the same agent process registered already");
      return false;
    }
    Optional<String> before = store.hostRecords().host(key).map(StoredHost::agentInstanceId);
    if (before.isPresent() && !before.get().equals(agentInstanceId)) {
      pending.failAllOfRestarted(key);
    }
    HostInventory kept = owned.keepOwned(key, inventory, now);
    store.hostRecords().recordRegistration(key, kept, remoteAddress, agentInstanceId, now);
    Live previous = live.put(key, new Live(connection, now, nanos.getAsLong()));
    roundTrips.restart(key, connection);
    String previousInstance =
        processes.registered(key, agentInstanceId, streamSequence).orElse(null);
    offlineSince.remove(key);
    if (previous != null && previous.connection() != connection) {
      if (agentInstanceId.equals(previousInstance)) {
        moved.add(key, previous.connection(), now).ifPresent(older -> older.close("replaced"
            + " by a newer connection from " + remoteAddress));
      } else {
        previous.connection().close("replaced by a newer connection from " + remoteAddress);
      }
    }
    log.info("host " + key + " registered from " + remoteAddress + " with "
        + kept.getVirtualMachinesCount() + " VMs");
    return true;
  }

  /** Why the latest registration of {@code hostName} was refused, if it was. */
  public synchronized Optional<String> refusal(String hostName) {
    return Optional.ofNullable(refusals.get(normalize(hostName)));
  }

  /** Records a heartbeat on {@code connection}; ignored if that stream was replaced. */
  public synchronized void heartbeat(String hostName, AgentConnection connection)
      throws StoreException {
    String key = normalize(hostName);
    Live current = live.get(key);
    if (current == null || current.connection() != connection) {
      return;
    }
    Instant now = clock.instant();
    // An agent beats once per interval. Faster beats (a hostile host's loop) keep its stream
    // alive but cost a store write and a probe once per half interval at most.
    long at = nanos.getAsLong();
    boolean record = at - current.recorded() >= heartbeatInterval.toNanos() / 2;
    live.put(key, new Live(connection, now, record ? at : current.recorded()));
    if (record) {
      store.hostRecords().recordHeartbeat(key, now);
      probeRoundTrip(hostName, connection);
    }
  }

  /** A round-trip probe on the host's latest stream if its agent answers: on register, beats. */
  public void probeRoundTrip(String hostName, AgentConnection connection) {
    roundTrips.probe(normalize(hostName), connection);
  }

  /** Takes an echo of a probe; one from a replaced stream, or of no probe sent, is ignored. */
  public void roundTripAnswered(String hostName, RoundTrip echo, AgentConnection connection) {
    roundTrips.answered(normalize(hostName), connection, echo.getProbe());
  }

  /** The least round trip of the control stream of {@code hostName}'s last answers. */
  public Optional<Duration> roundTrip(String hostName) {
    return roundTrips.least(normalize(hostName));
  }

  /** Asks an online host to re-read its hypervisor (false if offline); its answer is stored. */
  public synchronized boolean refreshInventory(String hostName) {
    if (!live.containsKey(normalize(hostName))) {
      return false;
    }
    // Through send(): only a command sent to this host may be answered by it. Nobody waits
    // for the answer, so a host that never gives one must not keep its entry for ever.
    send(hostName, Command.newBuilder().setCommandId(UUID.randomUUID().toString())
        .setRefreshInventory(RefreshInventory.getDefaultInstance()).build())
        .orTimeout(UNAWAITED_ANSWER.toMillis(), TimeUnit.MILLISECONDS);
    return true;
  }

  /** Commands sent to hosts that still wait for their answer (a gauge). */
  public int pendingCommands() {
    return pending.size();
  }

  /**
   * Sends {@code command} to an online host; the future completes with the agent's result,
   * which may arrive over a later control stream if this one drops meanwhile.
   */
  public synchronized CompletableFuture<CommandResult> send(String hostName, Command command) {
    Live current = live.get(normalize(hostName));
    if (current == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("host " + hostName
          + " is offline"));
    }
    CompletableFuture<CommandResult> result = pending.add(command.getCommandId(),
        normalize(hostName), command.getStartSync().getWarmUp());
    current.connection().send(ControllerMessage.newBuilder().setCommand(command).build());
    return result;
  }

  /**
   * Applies a command result of the host from any of its streams (one sent just before the agent
   * moved to a new connection arrives on the old one). A result for a command not sent to this
   * host is ignored; a malformed one fails its command and is refused.
   */
  public synchronized void commandResult(String hostName, CommandResult result)
      throws StoreException, AgentInputException {
    String key = normalize(hostName);
    PendingCommands.Pending waiting = pending.waiting(result.getCommandId()).orElse(null);
    if (waiting == null) {
      // Routine after a restart of the controller, or when a caller stopped waiting.
      unawaited.take(key).ifPresent(more -> log.info("host " + key + " answered a command nobody"
          + " waits for (given up, or sent before this controller started); ignored" + more));
      return;
    }
    if (!waiting.host().equals(key)) {
      unawaited.take(key).ifPresent(more -> log.warn("host " + key + " answered a command sent"
          + " to host " + waiting.host() + "; ignored" + more));
      return;
    }
    CommandResult checked;
    try {
      checked = CommandResultValidator.check(result, key);
    } catch (AgentInputException e) {
      waiting.result().completeExceptionally(new IllegalStateException(e.getMessage(), e));
      throw e;
    }
    if (checked.getError().isEmpty() && checked.hasInventory()) {
      checked = checked.toBuilder().setInventory(owned.refreshed(key, checked.getInventory(),
          clock.instant())).build();
    }
    waiting.result().complete(checked);
    if (!checked.getError().isEmpty() && waiting.warmUp()) {
      log.info("host " + key + " warm-up command " + checked.getCommandId() + " ended: "
          + checked.getError());
    } else if (!checked.getError().isEmpty()) {
      log.warn("host " + key + " command " + checked.getCommandId() + " failed: "
          + checked.getError());
    }
  }

  /** Forgets {@code connection} when its stream ended; the host goes offline. */
  public synchronized void disconnected(String hostName, AgentConnection connection) {
    String key = normalize(hostName);
    moved.ended(connection);
    Live current = live.get(key);
    if (current != null && current.connection() == connection) {
      live.remove(key);
      offlineSince.put(key, System.nanoTime());
      log.info("host " + key + " disconnected");
    }
  }

  /** Closes the streams of hosts whose last heartbeat is older than the timeout. */
  public synchronized List<String> expireStale() {
    Instant now = clock.instant();
    Map<String, Live> expired = new TreeMap<>();
    live.forEach((host, entry) -> {
      if (Duration.between(entry.lastHeartbeat(), now).compareTo(heartbeatTimeout) > 0) {
        expired.put(host, entry);
      }
    });
    // Closing ends the stream, which calls back into disconnected(): remove first.
    expired.keySet().forEach(host -> {
      live.remove(host);
      offlineSince.put(host, System.nanoTime());
    });
    expired.forEach((host, entry) -> {
      long silent = Duration.between(entry.lastHeartbeat(), now).toSeconds();
      log.warn("host " + host + " offline: no heartbeat for " + silent + " s");
      entry.connection().close("no heartbeat for " + silent + " s (timeout "
          + heartbeatTimeout.toSeconds() + " s); reconnect");
    });
    moved.olderThan(heartbeatTimeout, now).forEach(old -> old.close("replaced, not closed"));
    return List.copyOf(expired.keySet());
  }

  /** Closes every control stream, e.g. at shutdown; agents reconnect on their own. */
  public synchronized void closeAll(String reason) {
    List<Live> closing = List.copyOf(live.values());
    live.keySet().forEach(host -> offlineSince.put(host, System.nanoTime()));
    live.clear();
    closing.forEach(l -> l.connection().close(reason));
    moved.all().forEach(old -> old.close(reason));
  }

  /**
   * Every host that ever registered, sorted by name, and the hosts whose only registrations
   * were refused (with why, and no inventory).
   */
  public List<Host> hosts() throws StoreException {
    Map<String, Host> hosts = new TreeMap<>();
    for (StoredHost stored : store.hostRecords().hosts()) {
      hosts.put(stored.name(), toHost(stored));
    }
    synchronized (this) {
      refusals.forEach((name, why) -> hosts.computeIfAbsent(name, n -> Host.newBuilder()
          .setName(n).setStatus(HostStatus.OFFLINE).setRegistrationRefused(why).build()));
    }
    return new ArrayList<>(hosts.values());
  }

  public Optional<Host> host(String hostName) throws StoreException {
    Optional<StoredHost> stored = store.hostRecords().host(normalize(hostName));
    return stored.isPresent() ? Optional.of(toHost(stored.get())) : Optional.empty();
  }

  /** Appends an audit event the controller decided on its own (no operator identity). */
  public void audit(String action, String target, String detail) throws StoreException {
    store.auditRecords().append(clock.instant(), "controller", "", action, target, detail);
  }

  /** The host that owns {@code vmId}, if any host reported it. */
  public Optional<String> ownerOf(String vmId) throws StoreException {
    return store.vmOwnerRecords().owner(vmId);
  }

  /** The hosts with a live control stream and when each last sent a heartbeat. */
  public synchronized Map<String, Instant> lastHeartbeats() {
    Map<String, Instant> beats = new TreeMap<>();
    live.forEach((host, entry) -> beats.put(host, entry.lastHeartbeat()));
    return beats;
  }

  /** Whether {@code hostName} has a live control stream now. */
  public synchronized boolean isOnline(String hostName) {
    return live.containsKey(normalize(hostName));
  }

  /** The agent process (instance id) that registered {@code hostName} last, if any did. */
  public synchronized Optional<String> agentInstance(String hostName) {
    return processes.instance(normalize(hostName));
  }

  /** How long {@code hostName} has been offline; zero while it is online. */
  public synchronized Duration offlineFor(String hostName) {
    String key = normalize(hostName);
    Long since = live.containsKey(key) ? null : offlineSince.get(key);
    return since == null ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - since);
  }

  /** The live connection of {@code hostName}, if it is online. */
  public synchronized Optional<AgentConnection> connection(String hostName) {
    return Optional.ofNullable(live.get(normalize(hostName))).map(Live::connection);
  }

  private Host toHost(StoredHost stored) throws StoreException {
    Live current;
    String refused;
    synchronized (this) {
      current = live.get(stored.name());
      refused = refusals.get(stored.name());
    }
    return HostRecordsView.of(stored, Optional.ofNullable(current).map(Live::lastHeartbeat),
        Optional.ofNullable(current).flatMap(c -> c.connection().certificateNotAfter()),
        refused, roundTrips.least(stored.name()), store).build();
  }

  /** Ends the host's control stream now (fenced or removed); it goes offline. */
  public void cut(String hostName, String reason) {
    Live current;
    synchronized (this) {
      current = live.remove(normalize(hostName));
      offlineSince.put(normalize(hostName), System.nanoTime());
    }
    if (current != null) {
      current.connection().close(reason);
    }
  }

  /** Host names compare case-insensitively, as on Windows. */
  public static String normalize(String hostName) {
    return hostName.toLowerCase(Locale.ROOT);
  }
}
