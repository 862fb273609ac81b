package io.failback.common.sync;

/**
 * The link broke (connection cut, peer restarted, stream cancelled): the lane can be resumed
 * from its last durable checkpoint over a new link.
 */
public final class LinkException extends Exception {
  public LinkException(String message) {
    super(message);
  }

  public LinkException(String message, Throwable cause) {
    super(message, cause);
  }
}
