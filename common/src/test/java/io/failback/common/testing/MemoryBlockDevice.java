package io.failback.common.testing;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/** A disk in a byte array, for engine tests that need exact, fast, inspectable I/O. */
public class MemoryBlockDevice implements BlockDevice {
  private final byte[] data;
  private final int sectorSize;
  private final boolean writable;
  public final AtomicLong bytesRead = new AtomicLong();
  public final AtomicLong bytesWritten = new AtomicLong();
  public final AtomicLong flushes = new AtomicLong();
  /** Bytes set to zero by {@link #writeZeroes}. */
  public final AtomicLong bytesZeroed = new AtomicLong();
  private boolean knowsZeros;

  public MemoryBlockDevice(byte[] data, int sectorSize, boolean writable) {
    this.data = data;
    this.sectorSize = sectorSize;
    this.writable = writable;
  }

  /**
   * A disk that knows its zeros, as a sparse file knows its holes (SEEK_DATA): every range
   * of zero bytes is known to be zeros.
   */
  public static MemoryBlockDevice knowingZeros(byte[] data, boolean writable) {
    MemoryBlockDevice device = new MemoryBlockDevice(data, 512, writable);
    device.knowsZeros = true;
    return device;
  }

  public byte[] contents() {
    return data;
  }

  @Override
  public long size() {
    return data.length;
  }

  @Override
  public int logicalSectorSize() {
    return sectorSize;
  }

  @Override
  public boolean writable() {
    return writable;
  }

  private void check(long offset, long length) {
    if (offset % sectorSize != 0 || length % sectorSize != 0 && offset + length != data.length
        || offset < 0 || offset + length > data.length) {
      throw new IllegalArgumentException("bad range " + offset + "+" + length);
    }
  }

  @Override
  public synchronized void read(long offset, ByteBuffer dst) {
    check(offset, dst.remaining());
    int n = dst.remaining();
    dst.put(data, (int) offset, n);
    bytesRead.addAndGet(n);
  }

  @Override
  public synchronized void write(long offset, ByteBuffer src) throws IOException {
    if (!writable) {
      throw new IOException("read-only");
    }
    check(offset, src.remaining());
    int n = src.remaining();
    src.get(data, (int) offset, n);
    bytesWritten.addAndGet(n);
  }

  @Override
  public synchronized void writeZeroes(long offset, long length) throws IOException {
    if (!writable) {
      throw new IOException("read-only");
    }
    check(offset, length);
    Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
    bytesZeroed.addAndGet(length);
  }

  @Override
  public synchronized boolean isKnownZero(long offset, long length) {
    if (!knowsZeros) {
      return false;
    }
    for (long i = offset; i < offset + length; i++) {
      if (data[(int) i] != 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void flush() {
    flushes.incrementAndGet();
  }

  @Override
  public void close() {}
}
