package io.failback.common.undo;

import java.io.IOException;

/**
 * An undo journal that cannot put its disk back: missing, damaged, or made for another disk.
 * No retry helps; the disk is left exactly as it is and the operator is told why.
 */
public final class UndoJournalException extends IOException {
  public UndoJournalException(String message) {
    super(message);
  }
}
