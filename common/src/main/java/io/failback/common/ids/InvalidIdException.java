package io.failback.common.ids;

/**
 * A caller gave an id or name that cannot be one; the message names the field and echoes the
 * value only within {@link io.failback.common.text.BoundedText}'s bound.
 */
public final class InvalidIdException extends Exception {
  public InvalidIdException(String message) {
    super(message);
  }
}
