package io.failback.controller.cloud;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;

/**
 * A handle from {@link Cloud#openDisk} on a live disk: reads go straight to it, writes through
 * the snapshot tracking layer, and only while the VM is OFF.
 */
final class DiskHandle implements BlockDevice {
  private final LocalVm vm;
  private final int index;
  private final LiveDisk disk;
  private final boolean writable;
  private volatile boolean closed;

  DiskHandle(LocalVm vm, int index, LiveDisk disk, boolean writable) {
    this.vm = vm;
    this.index = index;
    this.disk = disk;
    this.writable = writable;
  }

  @Override
  public long size() {
    return disk.device().size();
  }

  @Override
  public int logicalSectorSize() {
    return disk.device().logicalSectorSize();
  }

  @Override
  public boolean writable() {
    return writable;
  }

  /** The VM's disk this is a handle of. */
  int index() {
    return index;
  }

  @Override
  public void read(long offset, ByteBuffer dst) throws IOException {
    checkOpen();
    disk.device().read(offset, dst);
  }

  @Override
  public void write(long offset, ByteBuffer src) throws IOException {
    disk.checkRange(offset, src.remaining());
    Lock lock = lockForWrite();
    try {
      disk.write(offset, src);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void writeZeroes(long offset, long length) throws IOException {
    disk.checkRange(offset, length);
    Lock lock = lockForWrite();
    try {
      disk.writeZeroes(offset, length);
    } finally {
      lock.unlock();
    }
  }

  /** Takes the barrier's read lock once the write is known to be allowed. */
  private Lock lockForWrite() throws IOException {
    checkOpen();
    if (!writable) {
      throw new IOException(this + ": opened read-only; cannot write");
    }
    Lock lock = vm.readBarrier();
    lock.lock();
    // Start refuses while this handle is open; checked again so no write can reach a running VM.
    if (vm.vm().state() != PowerState.OFF) {
      lock.unlock();
      throw new IOException(this + ": the VM is " + vm.vm().state() + "; refusing to write");
    }
    return lock;
  }

  @Override
  public boolean isKnownZero(long offset, long length) throws IOException {
    checkOpen();
    return disk.device().isKnownZero(offset, length);
  }

  @Override
  public void flush() throws IOException {
    checkOpen();
    disk.device().flush();
  }

  @Override
  public void close() {
    closed = true;
    vm.handles().remove(this);
  }

  private void checkOpen() throws IOException {
    if (closed) {
      throw new IOException(this + ": closed");
    }
  }

  @Override
  public String toString() {
    return "disk " + index + " of cloud VM " + vm.vm().label();
  }
}
