package io.failback.controller;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on localhost in front of the controller that, once armed, stops forwarding in one
 * direction after a given number of bytes went that way, until the test resumes it: a link
 * that stalls mid-transfer at a point chosen by bytes, not by time. TLS runs end to end
 * through it; the other direction keeps flowing.
 */
final class PausingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicLong bytesToAgent = new AtomicLong();
  private final AtomicLong bytesToController = new AtomicLong();
  private CountDownLatch paused = new CountDownLatch(1);
  private boolean pauseAgentBound;
  private long pauseAt = Long.MAX_VALUE;
  private boolean resumed;

  /** Which way the bytes go. */
  enum Direction { TO_AGENT, TO_CONTROLLER }

  PausingProxy(int targetPort) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.targetPort = targetPort;
    Thread acceptor = new Thread(this::accept, "pausing-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A proxy in front of the controller's {@code port}, for fixtures that cannot throw. */
  static PausingProxy before(int port) {
    try {
      return new PausingProxy(port);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * What a fixture's agent dials instead of the controller's port: a new proxy before it, kept
   * in {@code holder[0]} and closed by {@code cleanup}.
   */
  static java.util.function.IntFunction<String> into(PausingProxy[] holder,
      io.failback.common.testing.GrpcCleanup cleanup) {
    return port -> {
      holder[0] = cleanup.register(before(port));
      return "localhost:" + holder[0].port();
    };
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Pauses {@code direction} once {@code bytes} more went that way; again after a resume. */
  synchronized void arm(Direction direction, long bytes) {
    paused = new CountDownLatch(1);
    resumed = false;
    pauseAgentBound = direction == Direction.TO_AGENT;
    pauseAt = (pauseAgentBound ? bytesToAgent : bytesToController).get() + bytes;
  }

  /** Counts down once the link has stalled; nothing more goes that way until resume. */
  synchronized CountDownLatch paused() {
    return paused;
  }

  /** Lets everything held back, and all that follows, through, until it is armed again. */
  synchronized void resume() {
    resumed = true;
    notifyAll();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket agent = listener.accept();
        Socket controller;
        try {
          controller = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        } catch (IOException down) {
          // The controller is restarting: refuse this one, as it would, and keep accepting.
          close(agent);
          continue;
        }
        sockets.add(agent);
        sockets.add(controller);
        pump(agent, controller, false);
        pump(controller, agent, true);
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to, boolean agentBound) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          awaitPassage(agentBound,
              (agentBound ? bytesToAgent : bytesToController).addAndGet(n));
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        // Closed: the other pump notices too.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        close(from);
        close(to);
      }
    }, "pausing-proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  /** Holds the chunk that crosses the threshold (and every later one) until resume. */
  private synchronized void awaitPassage(boolean agentBound, long total)
      throws InterruptedException {
    if (agentBound != pauseAgentBound || total < pauseAt || resumed) {
      return;
    }
    paused.countDown();
    while (!resumed) {
      wait();
    }
  }

  private static void close(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    resume();
    listener.close();
    sockets.forEach(PausingProxy::close);
  }
}
