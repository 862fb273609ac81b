package io.failback.controller.cloud;

/**
 * The power state of a cloud VM.
 *
 * <pre>
 *   OFF ──start──▶ RUNNING
 *   RUNNING ──shutdown──▶ OFF
 * </pre>
 *
 * A new VM is OFF; delete is allowed only from OFF.
 */
public enum PowerState {
  RUNNING,
  OFF;

  /** Whether {@code next} may follow this state, per the graph above. */
  boolean canBecome(PowerState next) {
    return this != next;
  }
}
