package io.failback.controller.certificates;

import com.google.common.base.Ticker;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.failback.controller.pace.MonotonicTime;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many refused enrollments each network address may make. Thread-safe.
 *
 * <p>Enroll is the one call a caller makes without a certificate: anyone who reaches the port
 * may try tokens, and each try costs a lookup in the store. A host enrolls once, with a token
 * an operator gave it, so a few refusals are a mistyped token; more are a scan. Only refused
 * tries count: fifty hosts enrolling from behind one address are never held back. An address
 * past its budget is refused before its token is looked at, and logged once until it slows.
 * Addresses are kept in a bounded cache, so a scan from many addresses costs bounded memory.
 */
final class EnrollPace {
  private static final Logger log = LoggerFactory.getLogger(EnrollPace.class);
  /** Refused tries one address may make at once. */
  static final int BURST = 10;
  /** Then one more per this. */
  static final Duration INTERVAL = Duration.ofSeconds(6);
  /** Addresses remembered; the least recently seen go first. */
  static final int ADDRESSES = 10_000;

  private final TimeMeter time;
  private final Cache<String, Bucket> buckets;
  private final Cache<String, Boolean> refusing;

  /** {@code nanos}: a monotonic time, System::nanoTime but in tests. */
  EnrollPace(LongSupplier nanos) {
    this.time = MonotonicTime.meter(nanos);
    Ticker ticker = MonotonicTime.ticker(nanos);
    // A bucket untouched for this long is full again anyway: forgetting it changes nothing.
    Duration refilled = INTERVAL.multipliedBy(BURST);
    this.buckets = CacheBuilder.newBuilder().maximumSize(ADDRESSES).ticker(ticker)
        .expireAfterAccess(refilled).build();
    this.refusing = CacheBuilder.newBuilder().maximumSize(ADDRESSES).ticker(ticker)
        .expireAfterAccess(refilled).build();
  }

  /** Refuses a try from {@code from} whose refused tries used up its budget. */
  void check(String from) throws CertificateException {
    String address = address(from);
    if (bucket(address).getAvailableTokens() > 0) {
      return;
    }
    String why = "more than " + BURST + " refused enrollments from " + address + " at once and"
        + " more than one per " + INTERVAL.toSeconds() + " s since; try again later";
    if (refusing.asMap().putIfAbsent(address, Boolean.TRUE) == null) {
      log.warn(why + " (logged once until it slows down)");
    }
    throw new CertificateException(CertificateException.Kind.TOO_OFTEN, why);
  }

  /** Counts a refused try from {@code from}. */
  void refused(String from) {
    String address = address(from);
    if (bucket(address).tryConsume(1)) {
      refusing.invalidate(address);
    }
  }

  private Bucket bucket(String address) {
    try {
      return buckets.get(address, () -> Bucket.builder()
          .addLimit(limit -> limit.capacity(BURST).refillGreedy(1, INTERVAL))
          .withCustomTimePrecision(time).build());
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** The caller's address without its port ("/192.0.2.7:50432" is 192.0.2.7). */
  static String address(String remote) {
    String text = remote.startsWith("/") ? remote.substring(1) : remote;
    int port = text.lastIndexOf(':');
    return port > 0 && text.substring(port + 1).chars().allMatch(Character::isDigit)
        ? text.substring(0, port) : text;
  }
}
