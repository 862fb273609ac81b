package io.failback.controller.certificates;

import io.failback.controller.pace.KeyedPace;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How often each identity may renew its certificate. Thread-safe.
 *
 * <p>Each renewal costs a CSR's signature check, a CA signature and an audit row that stays,
 * and hands out one more valid certificate. An agent renews at two thirds of its
 * certificate's life (a life shorter than the five minutes it is backdated by is due at every
 * look, each 30 s), an operator on request: {@link #BURST} at once, then one per an eighth of
 * the lifetime (at least {@link #LEAST_INTERVAL}) is twice what either needs. Beyond, a caller
 * renewing in a loop, as a compromised host may, is refused and logged once until it slows.
 */
final class RenewalPace {
  private static final Logger log = LoggerFactory.getLogger(RenewalPace.class);
  /** Renewals one identity may make at once. */
  static final int BURST = 10;
  /** An agent looks every 30 s: half that, for a lifetime that is always due. */
  static final Duration LEAST_INTERVAL = Duration.ofSeconds(15);

  /** Identities kept: far more than one controller's hosts and operators. */
  private static final int IDENTITIES = 100_000;

  private final Duration interval;
  private final KeyedPace pace;

  /** {@code nanos}: a monotonic time, System::nanoTime but in tests. */
  RenewalPace(LongSupplier nanos, Duration lifetime) {
    Duration eighth = lifetime.dividedBy(8);
    this.interval = eighth.compareTo(LEAST_INTERVAL) < 0 ? LEAST_INTERVAL : eighth;
    this.pace = new KeyedPace(nanos, BURST, interval, IDENTITIES);
  }

  /** Takes one renewal of {@code identity} (e.g. host/hv-01), or refuses it. */
  void take(String identity) throws CertificateException {
    if (pace.tryTake(identity)) {
      return;
    }
    String why = identity + " renewed its certificate more than " + BURST + " times at once"
        + " and more than once per " + interval.toSeconds() + " s since; nothing was issued,"
        + " renew later";
    if (pace.firstRefusal(identity)) {
      log.warn(why + " (logged once until it slows down)");
    }
    throw new CertificateException(CertificateException.Kind.TOO_OFTEN, why);
  }
}
