package io.failback.controller.certificates;

/** An enrollment or renewal was refused; nothing was issued. */
public final class CertificateException extends Exception {
  /** Why, so that the adapter can choose the status. */
  public enum Kind {
    /** A malformed CSR, a weak key, a bad ttl: INVALID_ARGUMENT. */
    INVALID,
    /** An unknown, used or expired token, a fenced host: PERMISSION_DENIED. */
    DENIED,
    /** The controller holds no issuing CA: FAILED_PRECONDITION. */
    NOT_ISSUING,
    /** The caller renews faster than any agent or operator needs: RESOURCE_EXHAUSTED. */
    TOO_OFTEN,
  }

  private final Kind kind;

  public CertificateException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
