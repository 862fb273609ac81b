package io.failback.common.sync;

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

  private final Kind kind;
  private final boolean remote;

  public SyncException(Kind kind, String message) {
    this(kind, message, false, null);
  }

  public SyncException(Kind kind, String message, Throwable cause) {
    this(kind, message, false, cause);
  }

  private SyncException(Kind kind, String message, boolean remote, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.remote = remote;
  }

  /** The peer's failure as seen on this side. */
  public static SyncException fromPeer(Kind kind, String message) {
    return new SyncException(kind, "peer: " + message, true, null);
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
