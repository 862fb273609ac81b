package io.failback.controller.agents.boundary;

/**
 * What an agent sent was refused at the trust boundary; nothing of it was stored or used.
 *
 * <p>The message is bounded and names each problem by its field path.
 */
public final class AgentInputException extends Exception {
  /** Why: the status an adapter maps it to follows from this. */
  public enum Kind {
    /** A value is malformed or unknown: INVALID_ARGUMENT. */
    INVALID,
    /** A size or count is over a limit: RESOURCE_EXHAUSTED. */
    TOO_LARGE,
  }

  private final Kind kind;

  public AgentInputException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
