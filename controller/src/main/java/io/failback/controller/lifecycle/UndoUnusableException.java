package io.failback.controller.lifecycle;

/**
 * The agent cannot roll the disks back: an undo journal is missing or damaged. It changed
 * nothing, and no retry can help.
 */
public final class UndoUnusableException extends Exception {
  public UndoUnusableException(String message) {
    super(message);
  }
}
