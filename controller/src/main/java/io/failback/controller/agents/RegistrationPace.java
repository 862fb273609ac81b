package io.failback.controller.agents;

import io.failback.controller.agents.boundary.AgentInputException;
import io.failback.controller.pace.MonotonicTime;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How often each host may register, on any of its streams. Thread-safe.
 *
 * <p>Each Register costs a validation of up to 1 MiB and a store transaction. An agent sends
 * one when a control stream opens and, at most once per heartbeat, when its inventory changed:
 * so one per heartbeat interval is admitted, with a burst of {@link #BURST} for reconnects.
 * Beyond, a hostile host flooding Register (on one stream or on new ones) is refused, and
 * logged once until it slows down again.
 */
final class RegistrationPace {
  private static final Logger log = LoggerFactory.getLogger(RegistrationPace.class);
  /** Registrations one host may make at once, then one per heartbeat interval. */
  static final int BURST = 10;

  private final TimeMeter time;
  private final Duration interval;
  /** One per host that ever registered: bounded by the hosts given certificates. */
  private final Map<String, Bucket> buckets = new HashMap<>();
  private final Set<String> refusing = new HashSet<>();

  /** {@code nanos}: a monotonic time, System::nanoTime but in tests. */
  RegistrationPace(LongSupplier nanos, Duration heartbeatInterval) {
    this.time = MonotonicTime.meter(nanos);
    this.interval = heartbeatInterval;
  }

  /** Takes one registration of {@code host} (normalized), or refuses it (TOO_LARGE). */
  synchronized void take(String host) throws AgentInputException {
    Bucket bucket = buckets.computeIfAbsent(host, h -> Bucket.builder()
        .addLimit(limit -> limit.capacity(BURST).refillGreedy(1, interval))
        .withCustomTimePrecision(time).build());
    if (bucket.tryConsume(1)) {
      refusing.remove(host);
      return;
    }
    String why = "host " + host + " registered more than " + BURST + " times at once and"
        + " more than once per heartbeat interval (" + interval.toMillis() + " ms) since;"
        + " the registration is refused, reconnect later";
    if (refusing.add(host)) {
      log.warn(why + " (logged once until it slows down)");
    }
    throw new AgentInputException(AgentInputException.Kind.TOO_LARGE, why);
  }
}
