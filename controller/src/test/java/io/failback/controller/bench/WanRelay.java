package io.failback.controller.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A WAN between two local endpoints: a TCP relay that holds every byte for a one-way delay and
 * lets each direction through at most at a rate, like a link of that speed and length with a
 * router buffer in front of it (the kernel here has no netem).
 *
 * <p>Each direction is a reader and a writer thread over blocking NIO channels. The reader
 * stamps every chunk with when its last byte would have been serialised onto a link of the
 * rate ({@code max(now, previous) + bytes / rate}) and queues it; the writer releases it one
 * delay later. The queue holds at most what the link holds (rate × delay) plus a router
 * buffer; when it is full the reader stops reading, and TCP's own flow control slows the
 * sender, as a full link does. The delay and rate change for the next chunk when set.
 *
 * <p>Every connection through the relay shares one link per direction (its rate and its
 * router buffer), as connections between two sites share their WAN: a client that opens more
 * connections gets more of the window it is allowed in flight, never more than the rate.
 */
public final class WanRelay implements AutoCloseable {
  private static final int CHUNK = 64 * 1024;
  /** The router buffer in front of the link, beyond what is in flight on it. */
  private static final long BUFFER_BYTES = 4L << 20;

  private final ServerSocketChannel listener;
  private final InetSocketAddress target;
  private volatile long oneWayDelayNanos;
  /** Bytes per second; 0 for no cap. */
  private volatile long bytesPerSecond;
  private volatile boolean closed;
  private final Link up = new Link();
  private final Link down = new Link();
  private final AtomicInteger accepted = new AtomicInteger();
  /** Connections whose client has not closed its side. */
  private final AtomicInteger open = new AtomicInteger();

  public WanRelay(InetSocketAddress target) throws IOException {
    this.target = target;
    this.listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    Thread acceptor = new Thread(this::accept, "wan-relay-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return listener.socket().getLocalPort();
  }

  /** Sets the round trip (half of it each way) and the rate of each direction, 0 for none. */
  public void set(long roundTripMillis, long megabitsPerSecond) {
    oneWayDelayNanos = TimeUnit.MILLISECONDS.toNanos(roundTripMillis) / 2;
    bytesPerSecond = megabitsPerSecond * 1_000_000 / 8;
  }

  /** TCP connections accepted so far. */
  public int connectionsAccepted() {
    return accepted.get();
  }

  /** TCP connections accepted whose client has not closed its side yet. */
  public int connectionsOpen() {
    return open.get();
  }

  /** Takes {@code other}'s round trip and rate. */
  void copySettings(WanRelay other) {
    oneWayDelayNanos = other.oneWayDelayNanos;
    bytesPerSecond = other.bytesPerSecond;
  }

  private void accept() {
    while (!closed) {
      try {
        SocketChannel from = listener.accept();
        accepted.incrementAndGet();
        open.incrementAndGet();
        SocketChannel to = SocketChannel.open(target);
        for (SocketChannel channel : new SocketChannel[] {from, to}) {
          channel.socket().setTcpNoDelay(true);
          // Large socket buffers: the relay's own queue models the link, not the kernel's.
          channel.socket().setReceiveBufferSize(4 << 20);
          channel.socket().setSendBufferSize(4 << 20);
        }
        new Direction(from, to, up, "up", open::decrementAndGet).start();
        new Direction(to, from, down, "down", () -> { }).start();
      } catch (IOException e) {
        if (!closed) {
          BenchSetup.log("relay: " + e.getMessage());
        }
      }
    }
  }

  /** One direction of the link every connection shares: when it is next free, what it holds. */
  private final class Link {
    private long queuedBytes;
    private long freeAt;

    /** Waits for room for {@code bytes}, takes it; returns when their last byte is serialised. */
    synchronized long admit(int bytes) throws InterruptedException {
      long rate = bytesPerSecond;
      long capacity = rate == 0 ? BUFFER_BYTES
          : rate * oneWayDelayNanos / 1_000_000_000L + BUFFER_BYTES;
      while (queuedBytes > 0 && queuedBytes + bytes > capacity) {
        wait();
      }
      // Stamped once there is room: a chunk waiting in front of the link is not on it.
      long now = System.nanoTime();
      freeAt = rate == 0 ? now : Math.max(now, freeAt) + bytes * 1_000_000_000L / rate;
      queuedBytes += bytes;
      return freeAt;
    }

    synchronized void delivered(int bytes) {
      queuedBytes -= bytes;
      notifyAll();
    }
  }

  /** One direction of one connection. */
  private final class Direction {
    private final SocketChannel in;
    private final SocketChannel out;
    private final Link link;
    private final String name;
    /** Runs once its reader has seen the end of its side. */
    private final Runnable ended;
    private final Deque<Object[]> queue = new ArrayDeque<>();
    private boolean readerDone;
    /** Set when the writer failed: nothing more is queued. */
    private boolean dead;

    Direction(SocketChannel in, SocketChannel out, Link link, String name, Runnable ended) {
      this.in = in;
      this.out = out;
      this.link = link;
      this.name = name;
      this.ended = ended;
    }

    void start() {
      Thread reader = new Thread(this::read, "wan-relay-" + name + "-read");
      Thread writer = new Thread(this::write, "wan-relay-" + name + "-write");
      reader.setDaemon(true);
      writer.setDaemon(true);
      reader.start();
      writer.start();
    }

    private void read() {
      try {
        while (true) {
          ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
          if (in.read(chunk) < 0) {
            break;
          }
          chunk.flip();
          long serialised = link.admit(chunk.remaining());
          synchronized (this) {
            if (!dead) {
              queue.add(new Object[] {chunk, serialised + oneWayDelayNanos});
              notifyAll();
              continue;
            }
          }
          link.delivered(chunk.remaining());
          break;
        }
      } catch (IOException | InterruptedException e) {
        // The connection ended.
      }
      ended.run();
      synchronized (this) {
        readerDone = true;
        notifyAll();
      }
    }

    private void write() {
      try {
        while (true) {
          Object[] next;
          synchronized (this) {
            while (queue.isEmpty() && !readerDone) {
              wait();
            }
            next = queue.poll();
          }
          if (next == null) {
            out.shutdownOutput();
            return;
          }
          long due = (long) next[1];
          for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
          }
          ByteBuffer chunk = (ByteBuffer) next[0];
          // Off the link once due; the socket write is the far end's business.
          link.delivered(chunk.remaining());
          while (chunk.hasRemaining()) {
            out.write(chunk);
          }
        }
      } catch (IOException | InterruptedException e) {
        closeQuietly(in);
        closeQuietly(out);
        long stranded = 0;
        synchronized (this) {
          dead = true;
          for (Object[] left : queue) {
            stranded += ((ByteBuffer) left[0]).remaining();
          }
          queue.clear();
        }
        // A dead connection's bytes leave the shared link, or the others would wait for them.
        link.delivered((int) stranded);
      }
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
  }
}
