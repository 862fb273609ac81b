package io.failback.controller.agents;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Control streams an agent process replaced with a new one of its own (after a certificate
 * renewal, for a full handshake). The agent half-closes the old stream once the new one is
 * registered, so every result it sent there first is still read; one it never closes (its
 * connection died) is closed after the heartbeat timeout. One per host at most: an agent is
 * untrusted, and one that moved again and again must not hold streams open on the controller.
 */
final class MovedStreams {
  private record Moved(AgentConnection connection, Instant since) {}

  private final Map<String, Moved> byHost = new HashMap<>();

  /** Keeps {@code connection} of {@code host} open; returns the one it kept before, to close. */
  Optional<AgentConnection> add(String host, AgentConnection connection, Instant now) {
    Moved before = byHost.put(host, new Moved(connection, now));
    return before == null ? Optional.empty() : Optional.of(before.connection());
  }

  void ended(AgentConnection connection) {
    byHost.values().removeIf(moved -> moved.connection() == connection);
  }

  /** Removes and returns the streams moved off longer than {@code timeout} ago. */
  List<AgentConnection> olderThan(Duration timeout, Instant now) {
    List<AgentConnection> old = new ArrayList<>();
    byHost.values().removeIf(moved -> {
      boolean expired = Duration.between(moved.since(), now).compareTo(timeout) > 0;
      if (expired) {
        old.add(moved.connection());
      }
      return expired;
    });
    return old;
  }

  /** Removes and returns every stream. */
  List<AgentConnection> all() {
    List<AgentConnection> every = byHost.values().stream().map(Moved::connection).toList();
    byHost.clear();
    return every;
  }
}
