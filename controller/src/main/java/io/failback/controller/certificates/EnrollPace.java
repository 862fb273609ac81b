package io.failback.controller.certificates;

import io.failback.controller.pace.KeyedPace;
import java.time.Duration;
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
 * At most {@link #ADDRESSES} are kept, so a scan from many addresses costs bounded memory.
 */
final class EnrollPace {
  private static final Logger log = LoggerFactory.getLogger(EnrollPace.class);
  /** Refused tries one address may make at once. */
  static final int BURST = 10;
  /** Then one more per this. */
  static final Duration INTERVAL = Duration.ofSeconds(6);
  /** Addresses remembered; the least recently seen go first. */
  static final int ADDRESSES = 10_000;

  private final KeyedPace pace;

  /** {@code nanos}: a monotonic time, System::nanoTime but in tests. */
  EnrollPace(LongSupplier nanos) {
    this.pace = new KeyedPace(nanos, BURST, INTERVAL, ADDRESSES);
  }

  /** Refuses a try from {@code from} whose refused tries used up its budget. */
  void check(String from) throws CertificateException {
    String address = address(from);
    if (pace.hasRoom(address)) {
      return;
    }
    String why = "more than " + BURST + " refused enrollments from " + address + " at once and"
        + " more than one per " + INTERVAL.toSeconds() + " s since; try again later";
    if (pace.firstRefusal(address)) {
      log.warn(why + " (logged once until it slows down)");
    }
    throw new CertificateException(CertificateException.Kind.TOO_OFTEN, why);
  }

  /** Counts a refused try from {@code from}. */
  void refused(String from) {
    pace.tryTake(address(from));
  }

  /** The caller's address without its port ("/192.0.2.7:50432" is 192.0.2.7). */
  static String address(String remote) {
    String text = remote.startsWith("/") ? remote.substring(1) : remote;
    int port = text.lastIndexOf(':');
    return port > 0 && text.substring(port + 1).chars().allMatch(Character::isDigit)
        ? text.substring(0, port) : text;
  }
}
