package io.failback.controller.lifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one VM's phase 2 and its stop and start will cost, now: from the blocks its cloud VM has
 * written since phase 1's snapshot and what {@link Timings} measured on that host and in the
 * cloud ({@link Timings#phaseTwo}). Where nothing was measured yet a default stands in and is
 * named.
 */
final class FailbackCosts {
  /** For a stop or start never measured at a site: what the old fixed allowance gave each. */
  static final Duration DEFAULT_POWER_CHANGE = Duration.ofSeconds(1);

  private FailbackCosts() {}

  /**
   * @param host the host the VM fails back to
   * @param snapshotId phase 1's snapshot of the cloud VM
   * @param diskBytes the size of each disk, in order
   * @param block the block size of the failback's transfers
   */
  static DowntimeForecast.Costs of(LifecycleContext context, String host, String snapshotId,
      List<Long> diskBytes, int block) throws Exception {
    Timings timings = context.timings();
    List<String> defaults = new ArrayList<>();
    long pending = 0;
    long untracked = 0;
    for (int i = 0; i < diskBytes.size(); i++) {
      Optional<long[]> changed;
      try {
        changed = context.cloud().changedBlocks(snapshotId, i, block);
      } catch (io.failback.controller.cloud.CloudException e) {
        // Phase 1's KVM snapshot handle is open until the verify pass: the hypervisor's count
        // of changed bytes still tells how much phase 2 would send.
        java.util.OptionalLong bytes = context.cloud().changedBytes(snapshotId, i);
        if (bytes.isEmpty()) {
          throw e;
        }
        pending += (bytes.getAsLong() + block - 1) / block
            * block;
        continue;
      }
      if (changed.isPresent()) {
        pending += (long) changed.get().length * block;
      } else {
        untracked += diskBytes.get(i); // phase 2 then compares checksums of the whole disk
      }
    }
    Timings.PhaseTwo phaseTwo = timings.phaseTwo(host).orElseGet(() -> {
      defaults.add("transfer rate and fixed cost");
      return new Timings.PhaseTwo(PreflightEstimate.DEFAULT_RATE, Duration.ZERO, false);
    });
    double send = phaseTwo.rate();
    Duration fixed = phaseTwo.fixedCost();
    double checksum = untracked == 0 ? 1 : timings.checksumRate(host).orElseGet(() -> {
      defaults.add("checksum rate");
      return PreflightEstimate.DEFAULT_CHECKSUM_RATE;
    });
    Duration transfer = fixed.plusNanos((long) (pending / send * 1e9)
        + (long) (untracked / checksum * 1e9));
    Duration stop = cloudStop(timings, host, defaults);
    Duration start = power(timings, host, Timings.Power.START, "VM start on " + host,
        defaults);
    return new DowntimeForecast.Costs(stop, transfer, start, pending, send, fixed,
        List.copyOf(defaults));
  }

  /**
   * The cloud VM's stop: as measured in the cloud. Before the cloud stopped any VM, a stop is a
   * guest's shutdown, so the nearest stand-in is the VMs' stop measured on {@code host} (the
   * same guests), then the cloud's start (a hypervisor's own work only: a real guest's shutdown
   * takes longer), then the default; a stand-in is named with the defaults.
   */
  static Duration cloudStop(Timings timings, String host, List<String> defaults) {
    Optional<Duration> measured = timings.measured(Timings.CLOUD, Timings.Power.STOP);
    if (measured.isPresent()) {
      return measured.get();
    }
    Optional<Duration> onPrem = timings.measured(host, Timings.Power.STOP);
    if (onPrem.isPresent()) {
      defaults.add("cloud VM stop (taken as the VMs' stop on " + host + ")");
      return onPrem.get();
    }
    Optional<Duration> start = timings.measured(Timings.CLOUD, Timings.Power.START);
    if (start.isPresent()) {
      defaults.add("cloud VM stop (taken as its start; a guest's shutdown may take longer)");
      return start.get();
    }
    defaults.add("cloud VM stop");
    return DEFAULT_POWER_CHANGE;
  }

  private static Duration power(Timings timings, String site, Timings.Power change,
      String what, List<String> defaults) {
    return timings.power(site, change).orElseGet(() -> {
      defaults.add(what);
      return DEFAULT_POWER_CHANGE;
    });
  }
}
