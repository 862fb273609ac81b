package io.failback.controller.bandwidth;

import java.time.ZoneId;

/**
 * The controller configuration's global bandwidth limit (an operator's SetBandwidthLimit
 * replaces it until removed) and the zone its and every schedule's time windows are in.
 */
public record ConfiguredLimit(BandwidthSchedule global, ZoneId zone) {
  public static final ConfiguredLimit DEFAULTS = new ConfiguredLimit(BandwidthSchedule.UNLIMITED,
      ZoneId.systemDefault());
}
