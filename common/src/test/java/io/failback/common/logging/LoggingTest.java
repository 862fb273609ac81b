package io.failback.common.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

/**
 * Our java.util.logging records reach the file through SLF4J and Logback: one line each, UTC
 * ISO-8601 time, the structured fields, the level filter, in text and in JSON.
 */
class LoggingTest {
  @TempDir Path dir;

  @AfterEach
  void back() {
    Logging.configure("info", Logging.Format.text, null);
  }

  @Test
  void jsonLinesCarryTimeLevelMessageAndTheJobAndVmFields() throws Exception {
    Path file = dir.resolve("controller.log");
    Logging.configure("info", Logging.Format.json, file);
    Logger log = Logger.getLogger("io.failback.test.Json");
    try (MDC.MDCCloseable job = MDC.putCloseable("job_id", "job-1");
        MDC.MDCCloseable vm = MDC.putCloseable("vm_id", "vm-1")) {
      log.log(Level.WARNING, "disk \"d0\" failed\nsecond line", new IllegalStateException("x"));
      log.fine("not at info");
    }
    List<String> lines = Files.readAllLines(file);
    assertEquals(1, lines.size(), lines.toString());
    JsonObject line = JsonParser.parseString(lines.get(0)).getAsJsonObject();
    Instant time = Instant.parse(line.get("time").getAsString());
    assertTrue(line.get("time").getAsString().endsWith("Z"), line.toString());
    assertTrue(Math.abs(time.toEpochMilli() - System.currentTimeMillis()) < 60_000);
    assertEquals("WARN", line.get("level").getAsString());
    assertEquals("io.failback.test.Json", line.get("logger").getAsString());
    assertEquals("disk \"d0\" failed\nsecond line", line.get("message").getAsString());
    assertEquals("job-1", line.get("job_id").getAsString());
    assertEquals("vm-1", line.get("vm_id").getAsString());
    assertTrue(line.get("error").getAsString().contains("IllegalStateException: x"));
  }

  @Test
  void anAgentsJsonLinesCarryItsHostUnlessARecordNamesAnother() throws Exception {
    Path file = dir.resolve("agent.json");
    Logging.configure("info", Logging.Format.json, file);
    Logging.host("hv-01");
    Logger log = Logger.getLogger("io.failback.test.Host");
    log.info("about this host");
    try (MDC.MDCCloseable host = MDC.putCloseable("host", "hv-02")) {
      log.info("about another host");
    }
    List<String> lines = Files.readAllLines(file);
    assertEquals(2, lines.size(), lines.toString());
    assertEquals("hv-01", JsonParser.parseString(lines.get(0)).getAsJsonObject().get("host")
        .getAsString());
    assertEquals("hv-02", JsonParser.parseString(lines.get(1)).getAsJsonObject().get("host")
        .getAsString());
  }

  @Test
  void textIsOneLinePerRecordInUtcAndDebugShowsFine() throws Exception {
    Path file = dir.resolve("agent.log");
    Logging.configure("debug", Logging.Format.text, file);
    Logger log = Logger.getLogger("io.failback.test.Text");
    log.log(Level.SEVERE, "first\nsecond", new RuntimeException("boom"));
    log.fine("a fine record");
    Logger.getLogger("io.grpc.internal.Chatty").info("grpc chatter");
    List<String> lines = Files.readAllLines(file);
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ERROR .*"),
        lines.get(0));
    assertTrue(lines.get(0).contains("first second"), lines.get(0));
    assertTrue(lines.get(0).contains("RuntimeException: boom | at "), lines.get(0));
    assertTrue(lines.get(1).contains("DEBUG") && lines.get(1).endsWith("a fine record"),
        lines.get(1));
  }

  @Test
  void anUnknownLevelIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Logging.parseLevel("loud"));
    assertTrue(e.getMessage().contains("--log-level must be"), e.getMessage());
  }
}
