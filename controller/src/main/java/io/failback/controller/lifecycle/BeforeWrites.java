package io.failback.controller.lifecycle;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.ForwardingBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A replica's disk that runs a check before every write reaches it (and before writes are
 * announced): a write it refuses changes nothing. Every other call goes straight through.
 */
final class BeforeWrites extends ForwardingBlockDevice {
  /** Runs before a write; throws to refuse it. */
  interface Check {
    void run() throws IOException;
  }

  private final Check check;

  BeforeWrites(BlockDevice replica, Check check) {
    super(replica);
    this.check = check;
  }

  /**
   * {@code mark}, run once, durably, before the first write: lanes write concurrently, the
   * first to arrive records it and the others wait for it.
   */
  static Check once(Check mark) {
    return new Check() {
      private volatile boolean done;

      @Override
      public void run() throws IOException {
        if (done) {
          return;
        }
        synchronized (this) {
          if (!done) {
            mark.run();
            done = true;
          }
        }
      }
    };
  }

  @Override
  public void write(long offset, ByteBuffer src) throws IOException {
    check.run();
    inner.write(offset, src);
  }

  @Override
  public void writeThroughCache(long offset, ByteBuffer src) throws IOException {
    check.run();
    inner.writeThroughCache(offset, src);
  }

  @Override
  public void writeZeroes(long offset, long length) throws IOException {
    check.run();
    inner.writeZeroes(offset, length);
  }

  @Override
  public void aboutToOverwrite(long[] offsets, long[] lengths) throws IOException {
    check.run();
    inner.aboutToOverwrite(offsets, lengths);
  }
}
