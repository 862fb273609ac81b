package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A duration option that cannot work is a usage error naming it, before the controller starts:
 * a zero heartbeat interval made the scheduler fail with "null", a zero heartbeat timeout took
 * every host offline, a negative certificate lifetime failed each enrollment later.
 */
class DurationOptionsTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
      "--heartbeat-interval, -PT1S, --heartbeat-interval must be longer than zero, got PT-1S",
      "--heartbeat-timeout, PT0S, --heartbeat-timeout must be longer than zero, got PT0S",
      "--heartbeat-timeout, PT5S, --heartbeat-timeout (PT5S) must be longer than"
          + " --heartbeat-interval (PT10S)",
      "--replication-interval, PT0S, --replication-interval must be longer than zero",
      "--lease-ttl, PT0S, --lease-ttl must be longer than zero",
      "--agent-return-timeout, -PT1S, --agent-return-timeout must be longer than zero",
      "--sync-stall-timeout, PT0S, --sync-stall-timeout must be longer than zero",
      "--kvm-shutdown-timeout, -PT1S, --kvm-shutdown-timeout must be longer than zero",
      "--cert-lifetime, -PT1H, --cert-lifetime must be PT2M",
      "--cert-lifetime, PT1M, --cert-lifetime must be PT2M",
      "--cert-lifetime, P826D, 'to P825D, got PT19824H'",
  })
  void isAUsageErrorNamingTheOptionAndStartsNothing(String option, String value,
      String message) {
    StringWriter err = new StringWriter();
    Path state = dir.resolve("state");

    int code = ControllerMain.commandLine().setOut(new PrintWriter(new StringWriter(), true))
        .setErr(new PrintWriter(err, true)).execute("--listen", "127.0.0.1:0", "--state-dir",
            state.toString(), "--cert", "c.pem", "--key", "c.key", "--ca", "ca.pem", option,
            value);

    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(message), err.toString());
    assertEquals(1, err.toString().lines().filter(l -> !l.isBlank()).count(), err.toString());
    assertFalse(Files.exists(state), "nothing was created");
  }
}
