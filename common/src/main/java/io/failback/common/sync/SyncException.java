package io.failback.common.sync;

import io.failback.common.text.BoundedText;

/**
 * A sync lane failed for a reason a retry will not fix: a malformed or hostile frame, a digest
 * mismatch, a verification failure, or a disk error. Nothing wrong was written.
 */
public final class SyncException extends Exception {
  /** Why, in terms a transport can map to a status. */
  public enum Kind {
    /** The peer sent something malformed or out of range. */
    INVALID_ARGUMENT,
    /** The frame is well-formed but not allowed now (wrong order, unknown session). */
    FAILED_PRECONDITION,
    /** Data arrived intact but does not match its digest, or the lanes' digests differ. */
    DATA_LOSS,
    /** Reading or writing the local disk failed. */
    DISK,
    /** The session was cancelled. */
    CANCELLED
  }

  /**
   * The most characters of a message. Messages echo what the peer sent (an abort's or a
   * verdict's text, a digest or chain of any length, up to the 4 MiB a frame may carry), and
   * they end up in a job's errors and timeline, which the controller stores and serves.
   */
  public static final int MAX_MESSAGE_CHARS = 4096;

  private final Kind kind;
  private final boolean remote;

  public SyncException(Kind kind, String message) {
    this(kind, message, false, null);
  }

  public SyncException(Kind kind, String message, Throwable cause) {
    this(kind, message, false, cause);
  }

  private SyncException(Kind kind, String message, boolean remote, Throwable cause) {
    super(message == null ? null : BoundedText.truncate(message, MAX_MESSAGE_CHARS), cause);
    this.kind = kind;
    this.remote = remote;
  }

  /**
   * The peer's failure as seen on this side; its text escaped, as it goes into one-line logs
   * and the job's errors, and from there to the operator's terminal.
   */
  public static SyncException fromPeer(Kind kind, String message) {
    return new SyncException(kind, "peer: " + BoundedText.printable(message, MAX_MESSAGE_CHARS),
        true, null);
  }

  public Kind kind() {
    return kind;
  }

  /** Whether the peer raised it (and so already knows). */
  public boolean remote() {
    return remote;
  }

  /** An exception's message, or its type when it has none (ClosedByInterruptException). */
  static String reason(Throwable e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  static SyncException invalid(String format, Object... args) {
    return new SyncException(Kind.INVALID_ARGUMENT, String.format(format, args));
  }

  static SyncException precondition(String format, Object... args) {
    return new SyncException(Kind.FAILED_PRECONDITION, String.format(format, args));
  }
}
