package io.failback.controller.lifecycle;

import java.time.Duration;
import java.util.OptionalDouble;

/**
 * The rates a pre-flight's durations assume for a request's hosts: the slowest host's measured
 * send and checksum rates and its largest fixed cost, or the defaults where nothing was
 * measured yet.
 */
final class HostRates {
  private final Timings timings;
  private double send = PreflightEstimate.DEFAULT_RATE;
  private double checksum = PreflightEstimate.DEFAULT_CHECKSUM_RATE;
  private boolean sendMeasured;
  private boolean checksumMeasured;
  private Duration fixedCost = Duration.ZERO;

  HostRates(Timings timings) {
    this.timings = timings;
  }

  /** Takes {@code host}'s measurements into account. */
  void add(String host) {
    OptionalDouble hostSend = timings.sendRate(host);
    if (hostSend.isPresent()) {
      send = sendMeasured ? Math.min(send, hostSend.getAsDouble()) : hostSend.getAsDouble();
      sendMeasured = true;
    }
    OptionalDouble hostChecksum = timings.checksumRate(host);
    if (hostChecksum.isPresent()) {
      checksum = checksumMeasured ? Math.min(checksum, hostChecksum.getAsDouble())
          : hostChecksum.getAsDouble();
      checksumMeasured = true;
    }
    timings.fixedCost(host).filter(cost -> cost.compareTo(fixedCost) > 0)
        .ifPresent(cost -> fixedCost = cost);
  }

  double send() {
    return send;
  }

  boolean sendMeasured() {
    return sendMeasured;
  }

  double checksum() {
    return checksum;
  }

  boolean checksumMeasured() {
    return checksumMeasured;
  }

  Duration fixedCost() {
    return fixedCost;
  }
}
