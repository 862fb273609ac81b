package io.failback.common.sync;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The array a received {@link ByteString} already holds its bytes in, found without copying
 * them: protobuf hands a flat string's own array to {@link ByteOutput#writeLazy}. A parsed
 * block's data is such a string; it is immutable, so its array is only ever read.
 */
final class BackingArray extends ByteOutput {
  private byte[] array;
  private int offset;
  /** Calls protobuf made: one flat string is exactly one {@code writeLazy} of an array. */
  private int calls;

  private BackingArray() {}

  /**
   * {@code bytes}'s array and the offset its bytes start at, or null when it is not one flat
   * array (a rope, a buffer): then the caller copies.
   */
  static BackingArray of(ByteString bytes) {
    BackingArray backing = new BackingArray();
    try {
      UnsafeByteOperations.unsafeWriteTo(bytes, backing);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return backing.calls == 1 && backing.array != null ? backing : null;
  }

  byte[] array() {
    return array;
  }

  int offset() {
    return offset;
  }

  @Override
  public void writeLazy(byte[] value, int offset, int length) {
    calls++;
    this.array = value;
    this.offset = offset;
  }

  @Override
  public void write(byte value) {
    calls++;
  }

  @Override
  public void write(byte[] value, int offset, int length) {
    calls++;
  }

  @Override
  public void write(ByteBuffer value) {
    calls++;
  }

  @Override
  public void writeLazy(ByteBuffer value) {
    calls++;
  }
}
