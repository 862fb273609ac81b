package io.failback.controller.agents;

import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.RoundTrip;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The round trip of each host's control stream, probed by the controller and echoed by the
 * agent, kept as the least of the last {@link #SAMPLES} answers.
 *
 * <p>The least, because a probe queued behind a download on the same connection measures the
 * queue, not the network; the network's share is what every acknowledgement of a lane pays
 * whatever else runs. The answers are an untrusted agent's: one that delays or fakes them
 * changes only the lanes of its own uploads, within the policy's bounds; an echo of a probe
 * that was not sent, or not on that stream, counts for nothing. Thread-safe.
 */
public final class RoundTrips {
  /** Answers kept per host: at the default heartbeat of 10 s, the last two and a half minutes. */
  static final int SAMPLES = 16;
  /** Probes kept waiting per host; an older one is forgotten, and its echo ignored. */
  static final int OUTSTANDING = 4;
  /**
   * A new stream's first probes go back to back, each after the last one's echo, and its
   * round trip is known only once this many have answered: one answer taken while either JVM
   * is busy starting (compiling, reading the hypervisor) can be many times the network's; on
   * loopback one was 85 ms, and an upload chose 3 lanes for it.
   */
  static final int FIRST_ANSWERS = 3;

  /** One host's probes, all on its latest control stream. */
  private static final class Host {
    final AgentConnection connection;
    long nextProbe = 1;
    final Map<Long, Long> sentNanos = new LinkedHashMap<>();
    final Deque<Long> samples = new ArrayDeque<>();

    Host(AgentConnection connection) {
      this.connection = connection;
    }
  }

  private final LongSupplier nanoTime;
  private final Map<String, Host> hosts = new HashMap<>();

  public RoundTrips(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /**
   * Starts the round trips of {@code host} afresh on {@code connection}, its new control
   * stream: a new connection may take another path, and the old one's echoes no longer count.
   */
  public synchronized void restart(String host, AgentConnection connection) {
    Host known = hosts.get(host);
    if (known != null && known.connection == connection) {
      // The same stream registering again (a new inventory): the path, and what it measured,
      // stay. Starting over made a job in the next moments find no round trip at all.
      return;
    }
    hosts.put(host, new Host(connection));
  }

  /**
   * Sends a probe on {@code connection}, its sending time noted, if that is the host's latest
   * stream and its agent answers probes.
   */
  public synchronized void probe(String host, AgentConnection connection) {
    Host h = hosts.get(host);
    if (h == null || h.connection != connection || !connection.answersRoundTrips()) {
      return;
    }
    send(h);
  }

  private void send(Host h) {
    long probe = h.nextProbe++;
    h.sentNanos.put(probe, nanoTime.getAsLong());
    if (h.sentNanos.size() > OUTSTANDING) {
      h.sentNanos.remove(h.sentNanos.keySet().iterator().next());
    }
    h.connection.send(ControllerMessage.newBuilder().setRoundTrip(RoundTrip.newBuilder()
        .setProbe(probe)).build());
  }

  /**
   * Takes the echo of {@code probe} from {@code host} on {@code connection}.
   *
   * @return false, and nothing kept, when no such probe waits on that stream (never sent,
   *     answered already, forgotten, or sent on another stream)
   */
  public synchronized boolean answered(String host, AgentConnection connection, long probe) {
    Host h = hosts.get(host);
    Long sent = h == null || h.connection != connection ? null : h.sentNanos.remove(probe);
    if (sent == null) {
      return false;
    }
    h.samples.addLast(Math.max(0, nanoTime.getAsLong() - sent));
    if (h.samples.size() > SAMPLES) {
      h.samples.removeFirst();
    }
    if (h.samples.size() < FIRST_ANSWERS && h.sentNanos.isEmpty()) {
      send(h);
    }
    return true;
  }

  /**
   * The least round trip of the last answers of {@code host}; empty before {@link
   * #FIRST_ANSWERS} answers on its stream.
   */
  public synchronized Optional<Duration> least(String host) {
    Host h = hosts.get(host);
    if (h == null || h.samples.size() < FIRST_ANSWERS) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofNanos(h.samples.stream().mapToLong(Long::longValue).min()
        .getAsLong()));
  }
}
