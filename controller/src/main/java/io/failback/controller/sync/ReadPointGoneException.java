package io.failback.controller.sync;

/**
 * The agent refused to continue a source session: the read point it had been reading is no
 * longer kept (expired, or the agent restarted). It read and sent nothing; the disk's pass runs
 * again from the start, comparing checksums.
 */
public final class ReadPointGoneException extends Exception {
  public ReadPointGoneException(String message) {
    super(message);
  }
}
