package io.failback.controller.lifecycle;

/** A lifecycle step failed for a reason the operator can read and act on. */
public final class LifecycleException extends Exception {
  public LifecycleException(String message) {
    super(message);
  }

  public LifecycleException(String message, Throwable cause) {
    super(message, cause);
  }
}
