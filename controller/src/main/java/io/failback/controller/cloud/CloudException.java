package io.failback.controller.cloud;

import static com.google.common.base.Preconditions.checkNotNull;

/** A cloud operation failed; the kind says how a caller should react, the message what to fix. */
public final class CloudException extends Exception {
  /** Why an operation failed, chosen by what the caller should do next. */
  public enum Kind {
    /** The VM or snapshot does not exist (any more). */
    NOT_FOUND,
    /** The request itself is wrong (bad size, bad index, unaligned write): fix the request. */
    INVALID_ARGUMENT,
    /** The VM or snapshot is in the wrong state for this (e.g. RUNNING): change the state first. */
    FAILED_PRECONDITION,
    /** Reading or writing the cloud's storage failed: retrying may help. */
    IO
  }

  private final Kind kind;

  public CloudException(Kind kind, String message) {
    super(message);
    this.kind = checkNotNull(kind);
  }

  public CloudException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = checkNotNull(kind);
  }

  public Kind kind() {
    return kind;
  }

  public static CloudException notFound(String format, Object... args) {
    return new CloudException(Kind.NOT_FOUND, String.format(format, args));
  }

  public static CloudException invalid(String format, Object... args) {
    return new CloudException(Kind.INVALID_ARGUMENT, String.format(format, args));
  }

  public static CloudException precondition(String format, Object... args) {
    return new CloudException(Kind.FAILED_PRECONDITION, String.format(format, args));
  }

  public static CloudException io(Throwable cause, String format, Object... args) {
    String detail = cause.getMessage() == null ? cause.toString() : cause.getMessage();
    return new CloudException(Kind.IO, String.format(format, args) + ": " + detail, cause);
  }
}
