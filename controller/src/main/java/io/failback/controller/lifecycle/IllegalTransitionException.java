package io.failback.controller.lifecycle;

import java.util.List;

/**
 * An action or transition that the current lifecycle state does not allow; the message names
 * the state and what is allowed instead, e.g. "cannot Commit: vm web-01 (id 42) is
 * FAILED_OVER; allowed: PlannedFailover".
 */
public final class IllegalTransitionException extends Exception {
  private final String state;
  private final List<String> allowed;

  /**
   * Creates the exception.
   *
   * @param refused what was refused, e.g. "cannot Commit"
   * @param subject what was asked, e.g. "vm web-01 (id 42)"
   * @param state the subject's current state
   * @param allowed the actions the state allows, by RPC name
   */
  public IllegalTransitionException(
      String refused, String subject, String state, List<String> allowed) {
    super(String.format("%s: %s is %s; allowed: %s", refused, subject, state,
        allowed.isEmpty() ? "none" : String.join(", ", allowed)));
    this.state = state;
    this.allowed = List.copyOf(allowed);
  }

  /** The subject's current state, by name. */
  public String state() {
    return state;
  }

  /** The actions the current state allows, by RPC name. */
  public List<String> allowed() {
    return allowed;
  }
}
