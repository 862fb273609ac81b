package io.failback.controller.agents;

import io.failback.controller.agents.boundary.AgentInputException;
import io.failback.controller.pace.KeyedPace;
import java.time.Duration;
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

  /** Hosts kept: far more than one controller serves. */
  private static final int HOSTS = 100_000;

  private final Duration interval;
  private final KeyedPace pace;

  /** {@code nanos}: a monotonic time, System::nanoTime but in tests. */
  RegistrationPace(LongSupplier nanos, Duration heartbeatInterval) {
    this.interval = heartbeatInterval;
    this.pace = new KeyedPace(nanos, BURST, heartbeatInterval, HOSTS);
  }

  /** Takes one registration of {@code host} (normalized), or refuses it (TOO_LARGE). */
  void take(String host) throws AgentInputException {
    if (pace.tryTake(host)) {
      return;
    }
    String why = "host " + host + " registered more than " + BURST + " times at once and"
        + " more than once per heartbeat interval (" + interval.toMillis() + " ms) since;"
        + " the registration is refused, reconnect later";
    if (pace.firstRefusal(host)) {
      log.warn(why + " (logged once until it slows down)");
    }
    throw new AgentInputException(AgentInputException.Kind.TOO_LARGE, why);
  }
}
