package io.failback.agent.undo;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A disk whose every overwrite is preceded by its undo journal preserving the old bytes. Syncs
 * announce their writes in bulk ({@link #aboutToOverwrite}) so that the journal is forced once
 * per batch; a write nobody announced is preserved on its own.
 */
public final class JournaledDevice implements BlockDevice {
  private final BlockDevice inner;
  private final UndoJournal journal;
  private final Runnable onClose;

  /** @param onClose runs once both are closed */
  public JournaledDevice(BlockDevice inner, UndoJournal journal, Runnable onClose) {
    this.inner = inner;
    this.journal = journal;
    this.onClose = onClose;
  }

  @Override
  public long size() {
    return inner.size();
  }

  @Override
  public int logicalSectorSize() {
    return inner.logicalSectorSize();
  }

  @Override
  public boolean writable() {
    return inner.writable();
  }

  @Override
  public void read(long offset, ByteBuffer dst) throws IOException {
    inner.read(offset, dst);
  }

  @Override
  public boolean readUncached(long offset, ByteBuffer dst) throws IOException {
    return inner.readUncached(offset, dst);
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
  public boolean isKnownZero(long offset, long length) throws IOException {
    return inner.isKnownZero(offset, length);
  }

  @Override
  public void flush() throws IOException {
    inner.flush();
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
