package io.failback.controller.sync;

/**
 * The agent refused a TRACKED session because its host does not know the change-tracking
 * reference point; it read and sent nothing, so the disk can be synced with checksums instead.
 */
public final class ChangeReferenceUnknownException extends Exception {
  public ChangeReferenceUnknownException(String message) {
    super(message);
  }
}
