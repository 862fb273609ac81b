package io.failback.common.undo;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.ForwardingBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A disk whose every overwrite is preceded by its undo journal preserving the old bytes. Syncs
 * announce their writes in bulk ({@link #aboutToOverwrite}) so that the journal is forced once
 * per batch; a write nobody announced is preserved on its own.
 */
public final class JournaledDevice extends ForwardingBlockDevice {
  private final UndoJournal journal;
  private final Runnable onClose;

  /** @param onClose runs once both are closed */
  public JournaledDevice(BlockDevice inner, UndoJournal journal, Runnable onClose) {
    super(inner);
    this.journal = journal;
    this.onClose = onClose;
  }

  @Override
  public void write(long offset, ByteBuffer src) throws IOException {
    journal.preserve(inner, new long[] {offset}, new long[] {src.remaining()});
    inner.write(offset, src);
  }

  @Override
  public void writeZeroes(long offset, long length) throws IOException {
    journal.preserve(inner, new long[] {offset}, new long[] {length});
    inner.writeZeroes(offset, length);
  }

  @Override
  public void aboutToOverwrite(long[] offsets, long[] lengths) throws IOException {
    journal.preserve(inner, offsets, lengths);
  }

  @Override
  public boolean preservesOverwrites() {
    return true;
  }

  /** Closes the disk and the journal; the journal stays on disk until rollback or discard. */
  @Override
  public void close() throws IOException {
    try (journal) {
      inner.close();
    } finally {
      onClose.run();
    }
  }
}
