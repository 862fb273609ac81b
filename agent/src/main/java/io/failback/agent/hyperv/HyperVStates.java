package io.failback.agent.hyperv;

import io.failback.proto.v1.PowerState;
import java.util.Locale;
import java.util.Map;

/** Maps Hyper-V's VM state words ({@code Get-VM}'s {@code State}) to {@link PowerState}. */
public final class HyperVStates {
  private static final Map<String, PowerState> STATES =
      Map.of(
          "running", PowerState.RUNNING,
          "off", PowerState.OFF,
          "saved", PowerState.SAVED,
          "paused", PowerState.PAUSED,
          "starting", PowerState.STARTING,
          "stopping", PowerState.STOPPING);

  private HyperVStates() {}

  /**
   * The power state for a Hyper-V state word, ignoring case; {@link PowerState#OTHER} for any other
   * word (Saving, Resetting, RunningCritical, ...), which callers keep in {@code state_detail}.
   */
  public static PowerState powerState(String hyperVState) {
    return STATES.getOrDefault(hyperVState.toLowerCase(Locale.ROOT), PowerState.OTHER);
  }
}
