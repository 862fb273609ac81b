package io.failback.controller.lifecycle;

import io.failback.common.sync.MachineCpu;
import io.failback.controller.tuning.CompressionPolicy;
import io.failback.proto.v1.SyncReport;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * How busy the CPUs of a transfer's two machines were while it ran (0 to 1, all cores
 * together). Lanes that waited for the link while either machine's CPUs were saturated measured
 * the CPUs (TLS, hashing, compression, a young process's JIT), not the link: on a 2-core machine
 * the first upload of fresh processes ran at 96–100 % and passed for a 1 Gbit/s link, and the
 * harder compression chosen for it then would have cost the CPU that was short.
 *
 * @param controller the controller's machine over the transfer, if it could tell
 * @param agent the agent's machine, the most any of the transfer's sessions reported
 */
record BusyCpus(OptionalDouble controller, OptionalDouble agent) {
  /** At or above this a machine had no CPU to spare. */
  static final double SATURATED = 0.9;

  static final BusyCpus UNKNOWN = new BusyCpus(OptionalDouble.empty(), OptionalDouble.empty());

  /** The controller's machine since {@code since}, the agent's as its reports say. */
  static BusyCpus of(MachineCpu.Reading since, List<SyncReport> reports) {
    return new BusyCpus(MachineCpu.busy(since, MachineCpu.read()), reports.stream()
        .filter(SyncReport::hasCpuBusyPermille)
        .mapToDouble(r -> r.getCpuBusyPermille() / 1000.0).max());
  }

  /** Whether either machine's CPUs had nothing to spare. */
  boolean saturated() {
    return controller.orElse(0) >= SATURATED || agent.orElse(0) >= SATURATED;
  }

  /**
   * What lanes measured at {@code bytesPerSecond} while sending, where {@code paceFromLink}
   * says the link seemed to set their pace (they waited for it, not for their own target): the
   * link, unless either machine's CPUs were saturated, which the measurement then says.
   */
  CompressionPolicy.Measured measured(double bytesPerSecond, boolean paceFromLink) {
    return new CompressionPolicy.Measured(bytesPerSecond, paceFromLink && !saturated(),
        paceFromLink ? note() : "");
  }

  /** "the CPUs were busy (…)" when {@link #saturated}, else empty. */
  String note() {
    if (!saturated()) {
      return "";
    }
    StringBuilder which = new StringBuilder();
    controller.ifPresent(c -> which.append("the controller's machine ").append(percent(c)));
    agent.ifPresent(a -> which.append(which.length() > 0 ? ", " : "")
        .append("the agent's ").append(percent(a)));
    return "the CPUs were busy (" + which + ")";
  }

  private static String percent(double busy) {
    return String.format(Locale.ROOT, "%.0f %%", busy * 100);
  }
}
