package io.failback.controller;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * What systemd listens on for a {@code Type=notify} service: a Unix datagram socket (the
 * {@code NOTIFY_SOCKET} of the service's environment). Java has no Unix datagram sockets, so
 * the C library's calls, through JNA.
 */
final class NotifySocket implements AutoCloseable {
  private static final int AF_UNIX = 1;
  private static final int SOCK_DGRAM = 2;
  private static final int SOL_SOCKET = 1;
  private static final int SO_RCVTIMEO = 20;

  interface LibC extends Library {
    LibC C = Native.load("c", LibC.class);

    int socket(int domain, int type, int protocol);

    int bind(int fd, byte[] address, int length);

    int setsockopt(int fd, int level, int name, byte[] value, int length);

    long recv(int fd, byte[] buffer, long length, int flags);

    int close(int fd);
  }

  final Path path;
  private final int fd;

  /** Binds a datagram socket at {@code path} (at most 107 bytes) that waits 60 s at most. */
  NotifySocket(Path path) {
    this.path = path;
    byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
    byte[] address = new byte[110]; // struct sockaddr_un: the family, then the path
    address[0] = AF_UNIX;
    System.arraycopy(name, 0, address, 2, name.length);
    fd = LibC.C.socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || LibC.C.bind(fd, address, address.length) != 0) {
      throw new IllegalStateException("cannot bind a notify socket at " + path);
    }
    byte[] timeout = new byte[16]; // struct timeval: 60 s, 0 µs, little-endian
    timeout[0] = 60;
    LibC.C.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, timeout.length);
  }

  /** The next message a service sent, e.g. "READY=1\nSTATUS=..."; fails after 60 s. */
  String receive() {
    byte[] buffer = new byte[4096];
    long length = LibC.C.recv(fd, buffer, buffer.length, 0);
    if (length < 0) {
      throw new AssertionError("no notification within 60 s on " + path);
    }
    return new String(buffer, 0, (int) length, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    LibC.C.close(fd);
  }
}
