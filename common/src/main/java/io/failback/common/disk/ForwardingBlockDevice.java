package io.failback.common.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link BlockDevice} that passes every call to another; subclasses override what they add
 * to (an undo journal before overwrites, a mark before the first write).
 *
 * <p>{@link #writeThroughCache} is deliberately not passed on: its default goes through this
 * device's {@link #write}, so a subclass that guards writes guards it too unless it overrides
 * it as well.
 */
public abstract class ForwardingBlockDevice implements BlockDevice {
  protected final BlockDevice inner;

  protected ForwardingBlockDevice(BlockDevice inner) {
    this.inner = inner;
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
    inner.write(offset, src);
  }

  @Override
  public void writeZeroes(long offset, long length) throws IOException {
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
    inner.aboutToOverwrite(offsets, lengths);
  }

  @Override
  public boolean preservesOverwrites() {
    return inner.preservesOverwrites();
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }
}
