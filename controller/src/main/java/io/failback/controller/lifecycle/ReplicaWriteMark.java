package io.failback.controller.lifecycle;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.ForwardingBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A cloud replica's disk that records, durably and once, that a replication is writing into it
 * before the first write reaches it: from then until the replication verifies the replica, the
 * replica may hold part of that pass ({@code ProtectedItem.replica_written_since}). A pass that
 * writes nothing (a tracked cycle with nothing changed, a failure before its first block) marks
 * nothing. Every other call goes straight through.
 */
final class ReplicaWriteMark extends ForwardingBlockDevice {
  /** Records the mark; it must be durable when it returns. */
  interface Mark {
    void record() throws IOException;
  }

  private final Mark mark;
  private volatile boolean marked;

  ReplicaWriteMark(BlockDevice replica, Mark mark) {
    super(replica);
    this.mark = mark;
  }

  /** Lanes write concurrently: the first to arrive records the mark, the others wait for it. */
  private void beforeWrite() throws IOException {
    if (marked) {
      return;
    }
    synchronized (this) {
      if (!marked) {
        mark.record();
        marked = true;
      }
    }
  }

  @Override
  public void write(long offset, ByteBuffer src) throws IOException {
    beforeWrite();
    inner.write(offset, src);
  }

  @Override
  public void writeThroughCache(long offset, ByteBuffer src) throws IOException {
    beforeWrite();
    inner.writeThroughCache(offset, src);
  }

  @Override
  public void writeZeroes(long offset, long length) throws IOException {
    beforeWrite();
    inner.writeZeroes(offset, length);
  }

  @Override
  public void aboutToOverwrite(long[] offsets, long[] lengths) throws IOException {
    beforeWrite();
    inner.aboutToOverwrite(offsets, lengths);
  }
}
