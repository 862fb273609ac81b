package io.failback.controller;

import io.failback.common.metrics.MetricsEndpoint;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What this controller is to its peers, for probes and metrics from the moment it starts: a
 * standby is alive ({@code /healthz}) but not ready ({@code /readyz} says whom it follows),
 * so that a load balancer leaves it out and a liveness probe does not restart it; the active
 * one is ready once its API answers. Gauges: {@code failback_controller_active} (1 or 0) and
 * {@code failback_controller_lease_term} (the term held or followed; 0 without a lease).
 */
final class ControllerRole implements MetricsEndpoint.Readiness {
  private volatile String notReady = "starting: opening the store and taking the lease";
  private volatile boolean active;
  private volatile long term;
  private volatile BooleanSupplier shutDown;

  ControllerRole(MeterRegistry registry) {
    Gauge.builder("failback.controller.active", this, role -> role.active ? 1 : 0)
        .description("1 while this controller holds the lease and serves, 0 as a standby")
        .register(registry);
    Gauge.builder("failback.controller.lease.term", this, role -> role.term)
        .description("The lease term this controller holds, or follows as a standby")
        .register(registry);
  }

  /** Another controller is active at {@code address} under lease {@code term}. */
  void standby(String address, long term) {
    this.term = term;
    notReady = "standby; the active controller is " + address + " (lease term " + term + ")";
  }

  /** This controller took lease {@code term} (0: a store without a lease) and is starting. */
  void took(long term) {
    this.term = term;
    notReady = "active (lease term " + term + "), taking over the jobs";
  }

  /** Its API answers: ready until {@code shutDown} says the API server shut down. */
  void serving(BooleanSupplier shutDown) {
    this.shutDown = shutDown;
    this.active = true;
    notReady = null;
  }

  /** Another controller took the lease over: this one stops serving. */
  void lost() {
    active = false;
    notReady = "lost lease term " + term + " (taken over, or lapsed unrenewed)";
  }

  @Override
  public Optional<String> notReadyBecause() {
    String reason = notReady;
    if (reason != null) {
      return Optional.of(reason);
    }
    return shutDown.getAsBoolean() ? Optional.of("shutting down") : Optional.empty();
  }
}
