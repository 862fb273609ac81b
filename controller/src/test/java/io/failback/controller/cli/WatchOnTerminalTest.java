package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.LifecycleFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --watch} on a real terminal (a pseudo-terminal made by util-linux's {@code script}, 60
 * columns): the line is redrawn in place and never wider than the terminal, so no row wraps.
 */
class WatchOnTerminalTest {
  private static final int COLUMNS = 60;
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theWatchedLineIsRedrawnInPlaceAndCutToTheTerminalsWidth() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script is missing");
    LifecycleFixtures.Handle handle = LifecycleFixtures.start(dir, cleanup);
    TlsFiles identity = handle.operator();
    List<String> cli = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"), "-Dfile.encoding=UTF-8",
        "-Dsun.stdout.encoding=UTF-8", "-cp", System.getProperty("java.class.path"),
        FailbackMain.class.getName(), "--controller", handle.target(), "--ca",
        identity.trustBundle().toString(), "--cert", identity.certificate().toString(), "--key",
        identity.privateKey().toString(), "protect", handle.vmId(), "--watch"));
    String shell = "stty cols " + COLUMNS + " rows 24; exec " + String.join(" ", cli.stream()
        .map(arg -> "'" + arg.replace("'", "'\\''") + "'").toList());
    Process script = new ProcessBuilder("/usr/bin/script", "-qec", shell, "/dev/null")
        .redirectErrorStream(true).start();
    script.getOutputStream().close();
    String output = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(script.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, script.exitValue(), output);

    String[] redraws = output.split("\r\u001b\\[K", -1);
    assertTrue(redraws.length >= 2, "not redrawn in place: " + output);
    boolean cut = false;
    for (int i = 1; i < redraws.length; i++) {
      String line = redraws[i].split("[\r\n]", 2)[0];
      assertTrue(line.codePointCount(0, line.length()) < COLUMNS,
          "wider than the terminal: '" + line + "'");
      cut |= line.endsWith("…");
    }
    assertTrue(cut, "the summary and bar fit in " + COLUMNS + " columns: " + output);
    assertTrue(output.contains("EnableProtection  SUCCEEDED"), output);
  }
}
