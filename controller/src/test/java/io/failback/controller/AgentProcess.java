package io.failback.controller;

import io.failback.common.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The agent as its own operating-system process ({@code AgentMain run} on this test's class
 * path), so a test can kill it with SIGKILL mid-write and start it again on the same host.
 */
final class AgentProcess implements AutoCloseable {
  private final List<String> command;
  private final Path log;
  private Process process;

  private AgentProcess(List<String> command, Path log) {
    this.command = command;
    this.log = log;
  }

  static AgentProcess start(String controller, TlsFiles tls, Path hostDir) throws IOException {
    return start(controller, tls, hostDir, List.of());
  }

  /** @param extraArgs more options of {@code failback-agent run} */
  static AgentProcess start(String controller, TlsFiles tls, Path hostDir,
      List<String> extraArgs) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx256m", "-cp",
        System.getProperty("java.class.path"), "io.failback.agent.AgentMain", "run",
        "--controller", controller, "--cert", tls.certificate().toString(), "--key",
        tls.privateKey().toString(), "--ca", tls.trustBundle().toString(), "--host-dir",
        hostDir.toString()));
    command.addAll(extraArgs);
    AgentProcess agent = new AgentProcess(List.copyOf(command),
        hostDir.resolveSibling(hostDir.getFileName() + "-agent.log"));
    agent.start();
    return agent;
  }

  /** Starts it (again); its output goes on at the end of the log. */
  synchronized void start() throws IOException {
    process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  /** SIGKILL: no shutdown hook, no flush, no goodbye to the controller. */
  synchronized void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGSTOP: the process hangs with its connections open; {@link #resume} undoes it. */
  synchronized void freeze() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT after {@link #freeze}. */
  synchronized void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    int exit = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO()
        .start().waitFor();
    if (exit != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " exited with " + exit);
    }
  }

  /** SIGTERM, as a service manager stops it: the agent ends its lanes and says goodbye. */
  synchronized void stop() throws InterruptedException {
    close();
  }

  @Override
  public synchronized void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
      kill();
    }
  }
}
