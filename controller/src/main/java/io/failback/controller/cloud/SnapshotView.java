package io.failback.controller.cloud;

import static io.failback.controller.cloud.ChunkStore.CHUNK;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;

/**
 * A read-only view of one disk as it was when a snapshot was taken: preserved chunks from the
 * snapshot's store, the rest from the live disk.
 *
 * <p>Threading: safe for concurrent reads from several threads, also while the VM writes.
 */
final class SnapshotView implements BlockDevice {
  private final LocalVm vm;
  private final LocalSnapshot snapshot;
  private final int index;
  private final LiveDisk disk;
  private final ChunkStore store;
  private volatile boolean closed;

  SnapshotView(LocalVm vm, LocalSnapshot snapshot, int index, LiveDisk disk) {
    this.vm = vm;
    this.snapshot = snapshot;
    this.index = index;
    this.disk = disk;
    this.store = snapshot.store(index);
  }

  @Override
  public long size() {
    return store.diskSize();
  }

  @Override
  public int logicalSectorSize() {
    return disk.device().logicalSectorSize();
  }

  @Override
  public boolean writable() {
    return false;
  }

  @Override
  public void read(long offset, ByteBuffer dst) throws IOException {
    disk.checkRange(offset, dst.remaining());
    Lock lock = lockForRead();
    try {
      long position = offset;
      while (dst.hasRemaining()) {
        int length = (int) Math.min(dst.remaining(), CHUNK - position % CHUNK);
        ByteBuffer part = dst.duplicate().limit(dst.position() + length);
        disk.readForSnapshot(store, position, part);
        dst.position(dst.position() + length);
        position += length;
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean isKnownZero(long offset, long length) throws IOException {
    disk.checkRange(offset, length);
    Lock lock = lockForRead();
    try {
      for (long position = offset; position < offset + length; ) {
        long part = Math.min(offset + length - position, CHUNK - position % CHUNK);
        if (!disk.knownZeroForSnapshot(store, position, part)) {
          return false;
        }
        position += part;
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Takes the barrier's read lock, so the snapshot cannot be released under this read. */
  private Lock lockForRead() throws IOException {
    Lock lock = vm.readBarrier();
    lock.lock();
    if (closed || snapshot.released()) {
      lock.unlock();
      throw new IOException(this + (closed ? ": closed" : ": the snapshot was released"));
    }
    return lock;
  }

  @Override
  public void write(long offset, ByteBuffer src) throws IOException {
    disk.checkRange(offset, src.remaining());
    throw new IOException(this + ": a snapshot is read-only");
  }

  @Override
  public void writeZeroes(long offset, long length) throws IOException {
    disk.checkRange(offset, length);
    throw new IOException(this + ": a snapshot is read-only");
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "disk " + index + " of snapshot " + snapshot.id() + " of cloud VM " + vm.vm().label();
  }
}
