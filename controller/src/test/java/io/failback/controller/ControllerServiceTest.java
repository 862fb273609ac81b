package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller as procrun runs it in {@code jvm} mode: {@code start} on one thread blocks
 * while the controller serves, {@code stop} on another closes it and returns once it is closed.
 * A process runs its controller once, so this is the only test that starts the service.
 */
class ControllerServiceTest {
  @TempDir Path dir;

  @Test
  void startBlocksUntilStopOnAnotherThreadHasClosedThePortAndTheStore() throws Exception {
    TlsFiles tls = TestPki.create(dir.resolve("pki")).controller();
    Path state = dir.resolve("state");
    Path portFile = dir.resolve("controller.port");
    Path config = Files.writeString(dir.resolve("controller.properties"), String.join("\n",
        "listen=127.0.0.1:0",
        "state-dir=" + slashes(state),
        "cert=" + slashes(tls.certificate()),
        "key=" + slashes(tls.privateKey()),
        "ca=" + slashes(tls.trustBundle()),
        "port-file=" + slashes(portFile), ""));

    Thread start = new Thread(
        () -> ControllerService.start(new String[] {"--config", config.toString()}),
        "procrun-start");
    start.start();
    int port;
    try {
      port = awaitPortFile(portFile, start);
      new Socket("127.0.0.1", port).close();
      assertTrue(Files.exists(state.resolve("controller.db-wal")), "the store is open");
      assertTrue(start.isAlive(), "start returned while the controller serves");
    } finally {
      ControllerService.stop(new String[0]);
    }

    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
    // SQLite removes the write-ahead log when its last connection closes.
    assertFalse(Files.exists(state.resolve("controller.db-wal")), "the store is closed");
    start.join(TimeUnit.SECONDS.toMillis(10));
    assertFalse(start.isAlive(), "start returns once the controller has stopped");
  }

  /** Waits for the port file the controller writes once it listens; fails if start returned. */
  private static int awaitPortFile(Path portFile, Thread start)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (WatchService watcher = FileSystems.getDefault().newWatchService()) {
      portFile.getParent().register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
      while (!Files.exists(portFile)) {
        assertTrue(start.isAlive(), "start returned before the controller listened");
        assertTrue(System.nanoTime() < deadline, "the controller did not listen within 60 s");
        WatchKey key = watcher.poll(100, TimeUnit.MILLISECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
    }
    return Integer.parseInt(Files.readString(portFile).strip());
  }

  private static String slashes(Path path) {
    return path.toAbsolutePath().toString().replace('\\', '/');
  }
}
