package io.failback.common.service;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd how the service is doing ({@code Type=notify}): ready once it serves (the
 * controller's port bound, or a standby answering; the agent started), a status line, and that
 * it is stopping. Through libsystemd's own {@code sd_notify(3)}, loaded with JNA, only when
 * systemd asked for it ({@code NOTIFY_SOCKET} set); elsewhere (Windows, a terminal, tests) it
 * does nothing.
 */
public final class ServiceNotify {
  private static final Logger log = LoggerFactory.getLogger(ServiceNotify.class);
  private static volatile Systemd systemd;
  private static volatile boolean tried;

  /** The one call of libsystemd used here. */
  interface Systemd extends Library {
    int sd_notify(int unsetEnvironment, String state);
  }

  private ServiceNotify() {}

  /** READY=1 with a status line; again later only updates the status. */
  public static void ready(String status) {
    send("READY=1\nSTATUS=" + oneLine(status));
  }

  /** A status line for {@code systemctl status}. */
  public static void status(String status) {
    send("STATUS=" + oneLine(status));
  }

  /** The service is stopping (before a graceful stop's work). */
  public static void stopping() {
    send("STOPPING=1");
  }

  private static void send(String state) {
    String socket = System.getenv("NOTIFY_SOCKET");
    if (socket == null || socket.isEmpty()) {
      return;
    }
    Systemd library = library();
    if (library == null) {
      return;
    }
    int result = library.sd_notify(0, state);
    if (result < 0) {
      log.warn("telling systemd '" + state.replace('\n', ' ') + "' failed: error "
          + -result);
    }
  }

  private static Systemd library() {
    if (!tried) {
      synchronized (ServiceNotify.class) {
        if (!tried) {
          try {
            systemd = Native.load("systemd", Systemd.class);
          } catch (UnsatisfiedLinkError e) {
            log.warn("NOTIFY_SOCKET is set but libsystemd cannot be loaded (" + e.getMessage()
                + "); systemd is not told that the service is ready");
          }
          tried = true;
        }
      }
    }
    return systemd;
  }

  private static String oneLine(String text) {
    return text.replaceAll("[\\r\\n]+", " ");
  }
}
