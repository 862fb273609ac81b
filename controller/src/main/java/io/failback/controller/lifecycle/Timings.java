package io.failback.controller.lifecycle;

import io.failback.controller.tuning.CompressionPolicy;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What the controller measured on earlier work, for predictions: per on-prem host the rates and
 * fixed costs of transfers from the controller ({@link TransferTiming}), and per site (a host,
 * or the cloud) how long VMs took to stop and to start. The latest measurement wins: a host's
 * link and load change, and the newest figure is the likeliest next one. Kept in memory; a
 * restarted controller measures again. Thread-safe. The round trip of a host's control stream
 * is the agent registry's, asked for here.
 */
final class Timings {
  /** The site name of the cloud, beside the on-prem hosts' names. */
  static final String CLOUD = "(cloud)";

  /** A VM's power change, each measured where it happened. */
  enum Power { STOP, START }

  /** What phase 2 with a host will move at, and what it costs whatever it moves. */
  record PhaseTwo(double rate, Duration fixedCost, boolean fromPhaseTwo) {}

  /** The latest of each measurement with one host. */
  private static final class Host {
    OptionalDouble send = OptionalDouble.empty();
    Optional<CompressionPolicy.Measured> link = Optional.empty();
    Optional<CompressionPolicy.Measured> uploadLink = Optional.empty();
    OptionalDouble checksum = OptionalDouble.empty();
    OptionalDouble tracked = OptionalDouble.empty();
    Optional<Duration> trackedFixed = Optional.empty();
    Optional<Duration> fixed = Optional.empty();
    Optional<Duration> fixedWithReference = Optional.empty();
  }

  private final Map<String, Host> hosts = new ConcurrentHashMap<>();
  private final Map<String, Duration> power = new ConcurrentHashMap<>();
  private final Function<String, Optional<Duration>> roundTrips;

  /** Without round trips: none is ever measured. */
  Timings() {
    this(host -> Optional.empty());
  }

  /** @param roundTrips the least round trip of a host's control stream, if measured */
  Timings(Function<String, Optional<Duration>> roundTrips) {
    this.roundTrips = roundTrips;
  }

  /** The least round trip of {@code host}'s control stream lately, if measured. */
  Optional<Duration> roundTrip(String host) {
    return roundTrips.apply(host);
  }

  /** Keeps what {@code t}, a transfer from the controller to {@code host}, measured. */
  void transfer(String host, TransferTiming t) {
    Host h = hosts.computeIfAbsent(key(host), k -> new Host());
    synchronized (h) {
      h.send = or(t.sendRate(), h.send);
      if (t.sendRate().isPresent()) {
        h.link = Optional.of(t.link(t.sendRate().getAsDouble()));
      }
      h.checksum = or(t.checksumRate(), h.checksum);
      if (t.referencePoint()) {
        h.fixedWithReference = Optional.of(t.fixedCost());
      } else {
        h.fixed = Optional.of(t.fixedCost());
      }
      if (t.tracked()) {
        h.tracked = or(t.trackedRate(), h.tracked);
        h.trackedFixed = Optional.of(t.fixedCost());
      }
    }
  }

  /** Keeps the link from {@code host} as an upload's lanes met it. */
  void uploaded(String host, CompressionPolicy.Measured link) {
    Host h = hosts.computeIfAbsent(key(host), k -> new Host());
    synchronized (h) {
      h.uploadLink = Optional.of(link);
    }
  }

  /** The link from {@code host} (the agent sends) as the last upload that sent enough met it. */
  Optional<CompressionPolicy.Measured> uploadLink(String host) {
    return read(host, h -> h.uploadLink, Optional.empty());
  }

  /** Bytes per second the controller's lanes sent to {@code host}, while sending. */
  OptionalDouble sendRate(String host) {
    return read(host, h -> h.send, OptionalDouble.empty());
  }

  /** The link to {@code host} as the last transfer that sent enough measured it. */
  Optional<CompressionPolicy.Measured> link(String host) {
    return read(host, h -> h.link, Optional.empty());
  }

  /** Disk bytes per second of a checksum pass with {@code host}. */
  OptionalDouble checksumRate(String host) {
    return read(host, h -> h.checksum, OptionalDouble.empty());
  }

  /**
   * A transfer's fixed cost with {@code host}: as measured on one without a reference point,
   * else on one with (phase 1, whose reference point makes it err long).
   */
  Optional<Duration> fixedCost(String host) {
    return read(host, h -> h.fixed.or(() -> h.fixedWithReference), Optional.empty());
  }

  /**
   * What phase 2 with {@code host} will take: as the last phase 2 (a TRACKED transfer)
   * measured, the host's writes and flushes included. Before any, the rate phase 1's lanes
   * sent at, which knows nothing of the host's writes, and phase 1's fixed cost, which
   * includes making a reference point and so errs long: the first prediction for a host leans
   * long rather than short. Empty before any transfer.
   */
  Optional<PhaseTwo> phaseTwo(String host) {
    return read(host, h -> {
      if (h.tracked.isPresent() && h.trackedFixed.isPresent()) {
        return Optional.of(new PhaseTwo(h.tracked.getAsDouble(), h.trackedFixed.get(), true));
      }
      Optional<Duration> fixed = h.fixedWithReference.or(() -> h.fixed);
      if (h.send.isPresent() && fixed.isPresent()) {
        return Optional.of(new PhaseTwo(h.send.getAsDouble(), fixed.get(), false));
      }
      return Optional.empty();
    }, Optional.empty());
  }

  /** Keeps how long {@code change} of a VM took at {@code site}. */
  void power(String site, Power change, Duration took) {
    power.put(key(site) + "/" + change, took);
  }

  /** How long {@code change} took at {@code site} when last measured there, if ever. */
  Optional<Duration> measured(String site, Power change) {
    return Optional.ofNullable(power.get(key(site) + "/" + change));
  }

  /**
   * How long {@code change} takes at {@code site}: as measured there, else the other change as
   * measured there (a host that starts VMs fast mostly stops them fast), else empty.
   */
  Optional<Duration> power(String site, Power change) {
    Power other = change == Power.STOP ? Power.START : Power.STOP;
    return Optional.ofNullable(power.get(key(site) + "/" + change))
        .or(() -> Optional.ofNullable(power.get(key(site) + "/" + other)));
  }

  private <T> T read(String host, java.util.function.Function<Host, T> what, T none) {
    Host h = hosts.get(key(host));
    if (h == null) {
      return none;
    }
    synchronized (h) {
      return what.apply(h);
    }
  }

  private static OptionalDouble or(OptionalDouble measured, OptionalDouble before) {
    return measured.isPresent() ? measured : before;
  }

  private static String key(String host) {
    return host.toLowerCase(Locale.ROOT);
  }
}
