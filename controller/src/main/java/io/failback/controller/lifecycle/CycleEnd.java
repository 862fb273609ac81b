package io.failback.controller.lifecycle;

import java.time.Duration;

/**
 * A replication cycle of one VM ended: how long it took and whether its recovery point moved.
 *
 * @param error empty when the cycle succeeded, else why not (as the item's last cycle error)
 */
public record CycleEnd(String vmId, Duration took, String error) {
  public boolean succeeded() {
    return error.isEmpty();
  }
}
