package io.failback.controller.agents;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Control streams an agent process replaced with a new one of its own (after a certificate
 * renewal, for a full handshake). The agent half-closes the old stream once the new one is
 * registered, so every result it sent there first is still read; one it never closes (its
 * connection died) is closed after the heartbeat timeout.
 */
final class MovedStreams {
  private final Map<AgentConnection, Instant> since = new HashMap<>();

  void add(AgentConnection connection, Instant now) {
    since.put(connection, now);
  }

  void ended(AgentConnection connection) {
    since.remove(connection);
  }

  /** Removes and returns the streams moved off longer than {@code timeout} ago. */
  List<AgentConnection> olderThan(Duration timeout, Instant now) {
    List<AgentConnection> old = new ArrayList<>();
    since.entrySet().removeIf(entry -> {
      boolean expired = Duration.between(entry.getValue(), now).compareTo(timeout) > 0;
      if (expired) {
        old.add(entry.getKey());
      }
      return expired;
    });
    return old;
  }

  /** Removes and returns every stream. */
  List<AgentConnection> all() {
    List<AgentConnection> every = List.copyOf(since.keySet());
    since.clear();
    return every;
  }
}
