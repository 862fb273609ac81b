package io.failback.common.testing;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A disk that acknowledges every write but never stores the bytes of one range, whatever write
 * carries them (a lane's writer joins blocks into longer writes): a lost write to catch.
 */
public final class LosingBlockDevice extends MemoryBlockDevice {
  private final long lost;
  private final int size;

  public LosingBlockDevice(int length, long lost, int size) {
    super(new byte[length], 512, true);
    this.lost = lost;
    this.size = size;
  }

  @Override
  public synchronized void write(long offset, ByteBuffer src) throws IOException {
    if (offset + src.remaining() <= lost || offset >= lost + size) {
      super.write(offset, src);
      return;
    }
    ByteBuffer before = src.duplicate();
    before.limit(before.position() + (int) Math.max(0, lost - offset));
    ByteBuffer after = src.duplicate();
    after.position(Math.min(after.limit(), after.position() + (int) (lost + size - offset)));
    if (before.hasRemaining()) {
      super.write(offset, before);
    }
    if (after.hasRemaining()) {
      super.write(lost + size, after);
    }
    src.position(src.limit());
  }
}
