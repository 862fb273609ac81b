package io.failback.common.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A file channel that a thread interrupt does not take away from its other users.
 *
 * <p>A JDK file channel closes itself when a thread blocked in it is interrupted. A disk is
 * shared (a cloud VM's guest writes while a sync reads it; several lanes read one disk), and a
 * cancelled sync interrupts its readers: one interrupted reader would close the disk under the
 * guest and every later job ("ClosedChannelException" until a restart). Here the interrupted
 * call fails as before, and the file is opened again for everyone else; a call that the close
 * cut short in another thread is retried (positional reads and writes are idempotent). Only
 * {@link #close()} closes it for good.
 *
 * <p>Positional I/O, size, truncate and force are covered; the relative-position calls, locks
 * and mapping go to the current channel as they are and are not used by the disk devices.
 */
public final class ReopeningFileChannel extends FileChannel {
  private final Path path;
  private final OpenOption[] options;
  private volatile FileChannel current;

  private ReopeningFileChannel(Path path, OpenOption[] options, FileChannel first) {
    this.path = path;
    this.options = options;
    this.current = first;
  }

  /** Opens {@code path} as {@link FileChannel#open} does; reopening it never creates it. */
  public static FileChannel open(Path path, OpenOption... options) throws IOException {
    FileChannel first = FileChannel.open(path, options);
    OpenOption[] again = Arrays.stream(options).filter(o -> o != StandardOpenOption.CREATE
        && o != StandardOpenOption.CREATE_NEW && o != StandardOpenOption.TRUNCATE_EXISTING
        && o != StandardOpenOption.DELETE_ON_CLOSE).toArray(OpenOption[]::new);
    return new ReopeningFileChannel(path, again, first);
  }

  @FunctionalInterface
  private interface Call<T> {
    T on(FileChannel channel) throws IOException;
  }

  private <T> T call(Call<T> call) throws IOException {
    while (true) {
      FileChannel channel = current;
      try {
        return call.on(channel);
      } catch (ClosedByInterruptException interrupted) {
        reopen(channel); // for the others; this caller was interrupted and stops
        throw interrupted;
      } catch (ClosedChannelException closed) {
        // Another thread's interrupt closed the file under (or before) this call.
        if (!isOpen() || Thread.currentThread().isInterrupted()) {
          throw closed;
        }
        reopen(channel);
      }
    }
  }

  private synchronized void reopen(FileChannel closed) throws IOException {
    if (current == closed && isOpen()) {
      current = FileChannel.open(path, options);
    }
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return call(c -> c.read(dst, position));
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    return call(c -> c.write(src, position));
  }

  @Override
  public long size() throws IOException {
    return call(FileChannel::size);
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    call(c -> c.truncate(size));
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    call(c -> {
      c.force(metaData);
      return null;
    });
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return current.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return current.read(dsts, offset, length);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return current.write(src);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return current.write(srcs, offset, length);
  }

  @Override
  public long position() throws IOException {
    return current.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    current.position(newPosition);
    return this;
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    return current.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count)
      throws IOException {
    return current.transferFrom(src, position, count);
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    return current.map(mode, position, size);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return current.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return current.tryLock(position, size, shared);
  }

  @Override
  protected synchronized void implCloseChannel() throws IOException {
    current.close();
  }
}
