package io.failback.controller.lifecycle;

/** A request that cannot be right in any state: the caller must change the request itself. */
public final class InvalidArgumentException extends Exception {
  public InvalidArgumentException(String message) {
    super(message);
  }
}
