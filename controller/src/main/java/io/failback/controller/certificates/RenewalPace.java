package io.failback.controller.certificates;

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

  private final TimeMeter time;
  private final Duration interval;
  /** One per identity that ever renewed: bounded by the certificates the CA issued. */
  private final Map<String, Bucket> buckets = new HashMap<>();
  private final Set<String> refusing = new HashSet<>();

  /** {@code nanos}: a monotonic time, System::nanoTime but in tests. */
  RenewalPace(LongSupplier nanos, Duration lifetime) {
    this.time = MonotonicTime.meter(nanos);
    Duration eighth = lifetime.dividedBy(8);
    this.interval = eighth.compareTo(LEAST_INTERVAL) < 0 ? LEAST_INTERVAL : eighth;
  }

  /** Takes one renewal of {@code identity} (e.g. host/hv-01), or refuses it. */
  synchronized void take(String identity) throws CertificateException {
    Bucket bucket = buckets.computeIfAbsent(identity, h -> Bucket.builder()
        .addLimit(limit -> limit.capacity(BURST).refillGreedy(1, interval))
        .withCustomTimePrecision(time).build());
    if (bucket.tryConsume(1)) {
      refusing.remove(identity);
      return;
    }
    String why = identity + " renewed its certificate more than " + BURST + " times at once"
        + " and more than once per " + interval.toSeconds() + " s since; nothing was issued,"
        + " renew later";
    if (refusing.add(identity)) {
      log.warn(why + " (logged once until it slows down)");
    }
    throw new CertificateException(CertificateException.Kind.TOO_OFTEN, why);
  }
}
