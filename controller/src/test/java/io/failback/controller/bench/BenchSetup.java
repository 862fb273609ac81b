package io.failback.controller.bench;

import io.failback.certs.PkiDirectory;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.ControllerServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmarks share: the agent as its own process, and a few shell steps. */
final class BenchSetup {
  private BenchSetup() {}

  static Process startAgent(Path data, int port, TlsFiles tls, Path host) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(Path.of("bin/failback-agent").toAbsolutePath()
        .toString(), "run", "--controller", "localhost:" + port, "--cert",
        tls.certificate().toString(), "--key", tls.privateKey().toString(), "--ca",
        tls.trustBundle().toString(), "--host-dir", host.toString())
        .redirectErrorStream(true).redirectOutput(data.resolve("agent.log").toFile());
    builder.environment().put("JAVA_OPTS", "-Xmx256m " + System.getProperty("agent.opts", ""));
    return builder.start();
  }

  static void awaitOnline(ControllerServer controller, Process agent) throws Exception {
    for (int i = 0; i < 600 && !controller.registry().isOnline("bench-host"); i++) {
      if (!agent.isAlive()) {
        throw new IllegalStateException("agent exited; see agent.log");
      }
      Thread.sleep(100);
    }
  }

  static String peakRss(Process agent) throws IOException {
    // The launcher execs java, so the process is the agent's JVM itself.
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(agent.pid()),
        "status"))) {
      if (line.startsWith("VmHWM:")) {
        return line.substring("VmHWM:".length()).trim();
      }
    }
    return "unknown";
  }

  static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).inheritIO().start();
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed");
    }
  }

  static void copy(Path from, Path to) throws Exception {
    Process process = new ProcessBuilder("cp", "--sparse=always", from.toString(), to.toString())
        .inheritIO().start();
    if (process.waitFor() != 0) {
      throw new IOException("cp failed");
    }
  }

  static TlsFiles files(PkiDirectory pki, PkiDirectory.IssuedIdentity identity) {
    return new TlsFiles(identity.certificate(), identity.privateKey(), pki.caCertificate());
  }

  static void log(String message) {
    System.err.println("[bench] " + message);
  }

  static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
