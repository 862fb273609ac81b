package io.failback.controller.store;

/** The controller's database could not do what was asked; the message says what to fix. */
public class StoreException extends Exception {

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
