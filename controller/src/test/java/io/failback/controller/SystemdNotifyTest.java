package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.common.testing.TestPki;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A controller run by systemd as {@code Type=notify}: it says READY only once its port accepts
 * connections, and STOPPING when asked to stop. systemd's side is a datagram socket here.
 */
class SystemdNotifyTest {
  @TempDir Path dir;

  @Test
  void readyOnlyOnceThePortIsBoundAndStoppingAtAGracefulStop() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    int port = TakeoverRig.freePort();
    try (NotifySocket systemd = new NotifySocket(dir.resolve("notify.sock"));
        ControllerProcess controller = ControllerProcess.start(port, dir.resolve("state"),
            pki.controller(), dir.resolve("controller.log"), List.of(),
            Map.of("NOTIFY_SOCKET", systemd.path.toString()))) {
      assertEquals("READY=1\nSTATUS=active controller, listening on port " + port,
          systemd.receive());
      new Socket("127.0.0.1", port).close(); // bound before READY, not after

      controller.close(); // SIGTERM, as systemctl stop
      assertEquals("STOPPING=1", systemd.receive());
    }
  }
}
