package io.failback.controller.lifecycle;

/** A protected item or job that does not exist; the message says where to look instead. */
public final class NotFoundException extends Exception {

  public NotFoundException(String message) {
    super(message);
  }
}
