package io.failback.common.testing.guest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the tiny guest printed on its serial console: every line, and waits for its "FB-" reports.
 *
 * <p>Threading: one thread feeds lines ({@link #follow}); any thread may wait and read.
 */
public final class GuestConsole {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<String> lines = new ArrayList<>();
  private boolean ended;

  /** Starts a daemon thread copying {@code in}'s lines here until it ends. */
  public static GuestConsole follow(InputStream in, String name) {
    GuestConsole console = new GuestConsole();
    Thread thread = new Thread(() -> console.copy(in), name);
    thread.setDaemon(true);
    thread.start();
    return console;
  }

  /**
   * Starts a daemon thread following {@code file} from {@code offset} (a console libvirt writes
   * to a file), polling every 100 ms, until {@code stop} is closed.
   */
  public static GuestConsole followFile(Path file, long offset, AtomicBoolean stop) {
    GuestConsole console = new GuestConsole();
    Thread thread = new Thread(() -> console.tail(file, offset, stop), "guest-console-file");
    thread.setDaemon(true);
    thread.start();
    return console;
  }

  private void tail(Path file, long offset, AtomicBoolean stop) {
    StringBuilder partial = new StringBuilder();
    long position = offset;
    try {
      while (!stop.get()) {
        if (Files.exists(file) && Files.size(file) > position) {
          try (SeekableByteChannel channel = Files.newByteChannel(file)) {
            channel.position(position);
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(1 << 20,
                Files.size(file) - position));
            position += channel.read(buffer);
            partial.append(new String(buffer.array(), 0, buffer.position(),
                StandardCharsets.US_ASCII));
          }
          for (int newline; (newline = partial.indexOf("\n")) >= 0; ) {
            add(partial.substring(0, newline).replace("\r", ""));
            partial.delete(0, newline + 1);
          }
        } else {
          Thread.sleep(100); // A file has no change notification that works on every mount.
        }
      }
    } catch (IOException e) {
      add("FB-HOST-ERROR console: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      end();
    }
  }

  private void copy(InputStream in) {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
      for (String line; (line = reader.readLine()) != null; ) {
        add(line.replace("\r", ""));
      }
    } catch (IOException e) {
      add("FB-HOST-ERROR console: " + e);
    } finally {
      end();
    }
  }

  void add(String line) {
    lock.lock();
    try {
      lines.add(line);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  void end() {
    lock.lock();
    try {
      ended = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for the first report line that starts with {@code "FB-" + prefix}; empty when the
   * console ended or the timeout passed without one.
   */
  public Optional<String> await(String prefix, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (true) {
        Optional<String> found = find(prefix);
        long left = deadline - System.nanoTime();
        if (found.isPresent() || ended || left <= 0) {
          return found;
        }
        changed.await(left, TimeUnit.NANOSECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  private Optional<String> find(String prefix) {
    // The kernel may print on the same console between reports; reports are whole lines.
    return lines.stream().filter(l -> l.startsWith("FB-" + prefix)).findFirst();
  }

  /** Every line so far. */
  public List<String> lines() {
    lock.lock();
    try {
      return List.copyOf(lines);
    } finally {
      lock.unlock();
    }
  }

  /** The report lines so far, without the "FB-" prefix. */
  public GuestReport report() {
    return new GuestReport(lines().stream().filter(l -> l.startsWith("FB-"))
        .map(l -> l.substring(3)).toList());
  }

  /** The last lines, for assertion messages. */
  public String tail() {
    List<String> all = lines();
    return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
  }
}
