package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A 4 GiB sparse disk syncs in a JVM whose heap is capped at 48 MiB. */
class BoundedMemoryTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"DELTA", "FULL"})
  void largeSparseImageSyncsUnderASmallHeap(String mode) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(List.of(java, "-Xmx48m", "-cp",
        System.getProperty("java.class.path"), BoundedMemoryMain.class.getName(),
        dir.toString(), Long.toString(4L << 30), mode)).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "did not finish: " + output);
    assertEquals(0, process.exitValue(), output);
    assertTrue(output.contains("OK sent="), output);
  }
}
