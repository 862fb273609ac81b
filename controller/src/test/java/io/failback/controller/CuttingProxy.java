package io.failback.controller;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on localhost that forwards to the controller and cuts every connection once a
 * given number of bytes went through, as a flaky WAN link would; TLS runs end to end through it.
 */
final class CuttingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<Long> cutAfter;
  private final AtomicLong forwarded = new AtomicLong();
  private volatile int nextCut;
  final AtomicLong cuts = new AtomicLong();
  /** Bytes each connection carried towards the controller, in the order they were accepted. */
  final List<AtomicLong> towardsController = new CopyOnWriteArrayList<>();
  /** Bytes each connection carried from the controller, in the same order. */
  final List<AtomicLong> fromController = new CopyOnWriteArrayList<>();

  /** Cuts all connections when the bytes forwarded pass each of {@code cutAfterBytes}. */
  CuttingProxy(int targetPort, List<Long> cutAfterBytes) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.targetPort = targetPort;
    this.cutAfter = cutAfterBytes;
    Thread acceptor = new Thread(this::accept, "proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(client);
        sockets.add(upstream);
        AtomicLong up = new AtomicLong();
        AtomicLong down = new AtomicLong();
        towardsController.add(up);
        fromController.add(down);
        pump(client, upstream, up);
        pump(upstream, client, down);
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to, AtomicLong counted) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          counted.addAndGet(n);
          maybeCut(forwarded.addAndGet(n));
        }
      } catch (IOException e) {
        // Cut or closed: the other pump notices too.
      } finally {
        close(from);
        close(to);
      }
    }, "proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  private synchronized void maybeCut(long total) {
    if (nextCut < cutAfter.size() && total >= cutAfter.get(nextCut)) {
      nextCut++;
      cuts.incrementAndGet();
      sockets.forEach(CuttingProxy::close);
      sockets.clear();
    }
  }

  /** Cuts every connection now, as a dropped link would. */
  synchronized void cutNow() {
    cuts.incrementAndGet();
    sockets.forEach(CuttingProxy::close);
    sockets.clear();
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
    listener.close();
    sockets.forEach(CuttingProxy::close);
  }
}
