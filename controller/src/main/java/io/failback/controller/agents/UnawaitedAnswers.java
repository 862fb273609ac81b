package io.failback.controller.agents;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * How often the answers a host sends to commands nobody waits for are logged: the first, then
 * at most one per {@link #EVERY}, saying how many came between. A few are routine (answers to
 * the last controller process's commands, or to a wait given up), but one costs an agent
 * nothing to send: a compromised host sending them in a loop wrote a log line each, and
 * pushed every other host's records out of the rolling log within minutes. Thread-safe.
 */
final class UnawaitedAnswers {
  static final Duration EVERY = Duration.ofMinutes(1);

  /** One host's last logged answer, in {@link #nanos}, and the answers not logged since. */
  private static final class Seen {
    long logged;
    long since;
  }

  private final LongSupplier nanos;
  /** One per host that ever sent such an answer: bounded by the hosts given certificates. */
  private final Map<String, Seen> hosts = new HashMap<>();

  UnawaitedAnswers(LongSupplier nanos) {
    this.nanos = nanos;
  }

  /**
   * Counts one answer of {@code host}; what to append to its log line when it is to be logged
   * (empty text, or how many were not), or empty when it is not.
   */
  synchronized Optional<String> take(String host) {
    long now = nanos.getAsLong();
    Seen seen = hosts.get(host);
    if (seen == null) {
      seen = new Seen();
      hosts.put(host, seen);
    } else if (now - seen.logged < EVERY.toNanos()) {
      seen.since++;
      return Optional.empty();
    }
    String more = seen.since == 0 ? "" : " (and " + seen.since + " more such answers, not"
        + " logged, in the " + (now - seen.logged) / 1_000_000_000L + " s before)";
    seen.logged = now;
    seen.since = 0;
    return Optional.of(more);
  }
}
