package io.failback.common.sync;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A target lane's block writes, done by a thread of their own so that the lane goes on
 * receiving and checking the next blocks while the storage takes the last ones.
 *
 * <p>Writes that reach the storage directly (around the page cache) make the writer wait for
 * the device: 0.1-0.2 ms per 64 KiB block here, during which a lane writing in line would
 * receive nothing and the source would stall on the lane's flow control. Here blocks wait in a
 * short queue, and the writer joins blocks that follow one another into one write of up to
 * {@link #RUN_BYTES} (fewer, larger writes cost the storage and the kernel less).
 *
 * <p>Zero ranges go the same way, in order with the blocks (finding a hole asks the file
 * system, which waits for a direct write in progress to the file). {@link #close} waits for
 * the write in progress, so a resumed attempt's writes come after the last one of the attempt
 * before.
 * A write's failure fails the next {@link #submit} or {@link #awaitWritten}.
 */
final class WriteBehind implements AutoCloseable {
  /** Blocks waiting: the lane runs at most this far ahead of the storage. */
  static final int QUEUE_BLOCKS = 32;
  /** The largest write a run of blocks is joined into. */
  static final int RUN_BYTES = 1 << 20;
  private static final int ALIGNMENT = 4096;

  /**
   * One block to write: {@code length} bytes of {@code data} from {@code offset}; without data,
   * a range of {@code length} bytes to zero.
   */
  private record Write(long sequence, long position, byte[] data, int offset, long length) {
    boolean zeros() {
      return data == null;
    }
  }

  private static final Write STOP = new Write(-1, -1, new byte[0], 0, 0);

  private final BlockDevice device;
  private final boolean throughCache;
  private final BlockingQueue<Write> queue = new ArrayBlockingQueue<>(QUEUE_BLOCKS);
  private final ByteBuffer run;
  private final Thread writer;
  /** Writes handed over so far (the lane's thread only). */
  private long submitted;
  /** Writes on the device so far. */
  private long written;
  private IOException failure;
  private boolean stopped;

  /**
   * A writer for {@code device}; with {@code throughCache} its runs are written with
   * {@link BlockDevice#writeThroughCache} (a checksum pass's scattered blocks).
   */
  WriteBehind(BlockDevice device, String name, boolean throughCache) {
    this.device = device;
    this.throughCache = throughCache;
    this.run = ByteBuffer.allocateDirect(RUN_BYTES + ALIGNMENT).alignedSlice(ALIGNMENT);
    this.writer = new Thread(this::writeLoop, name);
    writer.setDaemon(true);
    writer.start();
  }

  /**
   * Hands over a block to write at {@code position}; {@code data} must not change afterwards.
   *
   * @return the write's sequence number, for {@link #awaitWritten}
   */
  long submit(long position, byte[] data, int offset, int length)
      throws IOException, InterruptedException {
    throwIfFailed();
    Write write = new Write(++submitted, position, data, offset, length);
    queue.put(write);
    return write.sequence();
  }

  /** Hands over a range to zero at {@code position}, in order with the blocks around it. */
  long submitZeros(long position, long length) throws IOException, InterruptedException {
    throwIfFailed();
    Write write = new Write(++submitted, position, null, 0, length);
    queue.put(write);
    return write.sequence();
  }

  /** Sequence number of the last write handed over (0 before the first). */
  long submitted() {
    return submitted;
  }

  /** Returns once writes up to {@code sequence} are on the device (not yet durable). */
  synchronized void awaitWritten(long sequence) throws IOException, InterruptedException {
    while (written < sequence && failure == null && !stopped) {
      wait();
    }
    throwIfFailed();
    if (written < sequence) {
      throw new InterruptedIOException("the lane's writer stopped before write " + sequence);
    }
  }

  private synchronized void throwIfFailed() throws IOException {
    if (failure != null) {
      throw new IOException(failure.getMessage(), failure);
    }
  }

  private void write(long position, ByteBuffer bytes) throws IOException {
    if (throughCache) {
      device.writeThroughCache(position, bytes);
    } else {
      device.write(position, bytes);
    }
  }

  private void writeLoop() {
    try {
      for (Write first = queue.take(); first != STOP; ) {
        Write last = first;
        Write next = null;
        run.clear();
        if (first.zeros()) {
          device.writeZeroes(first.position(), first.length());
        } else if (first.length() <= RUN_BYTES) {
          run.put(first.data(), first.offset(), (int) first.length());
          while ((next = queue.poll()) != null && next != STOP && !next.zeros()
              && next.position() == last.position() + last.length()
              && run.remaining() >= next.length()) {
            run.put(next.data(), next.offset(), (int) next.length());
            last = next;
          }
          run.flip();
          write(first.position(), run);
        } else {
          write(first.position(), ByteBuffer.wrap(first.data(), first.offset(),
              (int) first.length()));
        }
        done(last.sequence());
        first = next != null ? next : queue.take();
      }
    } catch (IOException e) {
      failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      synchronized (this) {
        stopped = true;
        notifyAll();
      }
    }
  }

  private synchronized void done(long sequence) {
    written = sequence;
    notifyAll();
  }

  private synchronized void failed(IOException e) {
    failure = e;
    notifyAll();
  }

  /**
   * Drops the blocks not yet begun (an attempt that ends unfinished: a resume sends them again
   * from the last checkpoint) and waits for the write in progress.
   */
  @Override
  public void close() {
    queue.clear();
    boolean interrupted = false;
    while (!queue.offer(STOP)) {
      queue.clear();
    }
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
