package io.failback.controller.agents;

/** An operator's host action was refused; nothing changed. */
public final class HostAdminException extends Exception {
  /** Why, so that the adapter can choose the status. */
  public enum Kind {
    INVALID,
    NOT_FOUND,
    FAILED_PRECONDITION,
  }

  private final Kind kind;

  public HostAdminException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
