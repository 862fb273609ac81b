package io.failback.controller;

import io.failback.common.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The controller as its own operating-system process ({@code ControllerMain} on this test's
 * class path), so a test can kill it with SIGKILL, as a crash or an OOM kill would.
 */
final class ControllerProcess implements AutoCloseable {
  private final List<String> command;
  private final Path log;
  private Process process;

  private ControllerProcess(List<String> command, Path log) {
    this.command = command;
    this.log = log;
  }

  /**
   * Starts {@code failback-controller} listening on 127.0.0.1:{@code port}.
   *
   * @param extraArgs more options, e.g. {@code --store URL}
   */
  static ControllerProcess start(int port, Path stateDir, TlsFiles tls, Path log,
      List<String> extraArgs) throws IOException {
    return start(port, stateDir, tls, log, extraArgs, java.util.Map.of());
  }

  /** @param environment more environment variables, e.g. {@code NOTIFY_SOCKET} */
  static ControllerProcess start(int port, Path stateDir, TlsFiles tls, Path log,
      List<String> extraArgs, java.util.Map<String, String> environment) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-Xmx384m", "-cp",
        System.getProperty("java.class.path"), "io.failback.controller.ControllerMain",
        "--listen", "127.0.0.1:" + port, "--advertise-address", "localhost:" + port,
        "--state-dir", stateDir.toString(), "--cert", tls.certificate().toString(), "--key",
        tls.privateKey().toString(), "--ca", tls.trustBundle().toString()));
    command.addAll(extraArgs);
    ControllerProcess controller = new ControllerProcess(List.copyOf(command), log);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(environment);
    controller.process = builder.start();
    return controller;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no lease released, nothing settled. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      kill();
    }
  }
}
