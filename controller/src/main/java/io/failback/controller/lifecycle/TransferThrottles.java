package io.failback.controller.lifecycle;

import io.failback.common.sync.Throttle;

/** Gives each transfer the throttle its bandwidth limits call for. */
@FunctionalInterface
public interface TransferThrottles {
  /** No limits. */
  TransferThrottles NONE = (host, jobId) -> Throttle.NONE;

  /**
   * The throttle of a transfer with {@code host} for job {@code jobId} (empty for a
   * replication cycle, which has none).
   */
  Throttle forTransfer(String host, String jobId);
}
