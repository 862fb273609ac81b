package io.failback.controller.lifecycle;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the controller measured on earlier work, for predictions: per on-prem host the send rate,
 * checksum rate and fixed cost of transfers from the controller, and per site (a host, or the
 * cloud) how long VMs took to stop and to start. The latest measurement wins: a host's link and
 * load change, and the newest figure is the likeliest next one. Kept in memory; a restarted
 * controller measures again. Thread-safe.
 */
final class Timings {
  /** The site name of the cloud, beside the on-prem hosts' names. */
  static final String CLOUD = "(cloud)";

  /** A VM's power change, each measured where it happened. */
  enum Power { STOP, START }

  private record Transfers(OptionalDouble sendRate, OptionalDouble checksumRate,
      Optional<Duration> fixedCost, Optional<Duration> fixedCostWithReferencePoint) {}

  private final Map<String, Transfers> transfers = new ConcurrentHashMap<>();
  private final Map<String, Duration> power = new ConcurrentHashMap<>();

  /** Keeps what {@code timing}, a transfer from the controller to {@code host}, measured. */
  void transfer(String host, TransferTiming timing) {
    transfers.compute(key(host), (h, was) -> {
      Transfers before = was != null ? was : new Transfers(OptionalDouble.empty(),
          OptionalDouble.empty(), Optional.empty(), Optional.empty());
      OptionalDouble send = timing.sendRate();
      OptionalDouble checksum = timing.checksumRate();
      return new Transfers(send.isPresent() ? send : before.sendRate(),
          checksum.isPresent() ? checksum : before.checksumRate(),
          timing.referencePoint() ? before.fixedCost() : Optional.of(timing.fixedCost()),
          timing.referencePoint() ? Optional.of(timing.fixedCost())
              : before.fixedCostWithReferencePoint());
    });
  }

  /** Bytes per second the controller's lanes sent to {@code host}, while sending. */
  OptionalDouble sendRate(String host) {
    Transfers t = transfers.get(key(host));
    return t == null ? OptionalDouble.empty() : t.sendRate();
  }

  /** Disk bytes per second of a checksum pass with {@code host}. */
  OptionalDouble checksumRate(String host) {
    Transfers t = transfers.get(key(host));
    return t == null ? OptionalDouble.empty() : t.checksumRate();
  }

  /**
   * A transfer's fixed cost with {@code host}: as measured on one without a reference point
   * (phase 2 makes none), else on one with (phase 1), which then errs long.
   */
  Optional<Duration> fixedCost(String host) {
    Transfers t = transfers.get(key(host));
    return t == null ? Optional.empty()
        : t.fixedCost().or(t::fixedCostWithReferencePoint);
  }

  /** Keeps how long {@code change} of a VM took at {@code site}. */
  void power(String site, Power change, Duration took) {
    power.put(key(site) + "/" + change, took);
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

  private static String key(String host) {
    return host.toLowerCase(Locale.ROOT);
  }
}
