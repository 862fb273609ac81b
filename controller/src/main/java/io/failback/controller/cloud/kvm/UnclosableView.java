package io.failback.controller.cloud.kvm;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/** A snapshot view handed to a reader: closing it leaves the snapshot's connection open. */
final class UnclosableView implements BlockDevice {
  private final BlockDevice view;

  UnclosableView(BlockDevice view) {
    this.view = view;
  }

  @Override
  public long size() {
    return view.size();
  }

  @Override
  public int logicalSectorSize() {
    return view.logicalSectorSize();
  }

  @Override
  public boolean writable() {
    return false;
  }

  @Override
  public void read(long offset, ByteBuffer dst) throws IOException {
    view.read(offset, dst);
  }

  @Override
  public void write(long offset, ByteBuffer src) throws IOException {
    throw new IOException(view + ": a snapshot is read-only");
  }

  @Override
  public void writeZeroes(long offset, long length) throws IOException {
    throw new IOException(view + ": a snapshot is read-only");
  }

  @Override
  public boolean isKnownZero(long offset, long length) throws IOException {
    return view.isKnownZero(offset, length);
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}

  @Override
  public String toString() {
    return view.toString();
  }
}
