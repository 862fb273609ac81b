package io.failback.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.tls.TlsFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code run --reconnect-max-delay}: how long the agent waits at most between attempts. */
class ReconnectMaxDelayTest {
  @TempDir Path tmp;

  private AgentConfig defaults() {
    return AgentConfig.withDefaults("c:1", new TlsFiles(tmp.resolve("a"), tmp.resolve("b"),
        tmp.resolve("c")), tmp);
  }

  @Test
  void aMaximumBelowTheFirstWaitShortensItAboveItKeepsIt() {
    AgentConfig quick = defaults().withReconnectMaxDelay(Duration.ofMillis(400));
    assertEquals(Duration.ofMillis(400), quick.backoffInitial());
    assertEquals(Duration.ofMillis(400), quick.backoffMax());
    AgentConfig patient = defaults().withReconnectMaxDelay(Duration.ofMinutes(5));
    assertEquals(Duration.ofSeconds(1), patient.backoffInitial());
    assertEquals(Duration.ofMinutes(5), patient.backoffMax());
    assertEquals(Duration.ofSeconds(60), defaults().backoffMax(), "the default");
  }

  @Test
  void outOfRangeIsRefusedNamingTheOptionAndNothingRuns() {
    for (String value : new String[] {"PT0.05S", "PT0S", "-PT1S", "PT1H0.001S"}) {
      StringWriter err = new StringWriter();
      CommandLine agent = AgentMain.commandLine().setErr(new PrintWriter(err))
          .setOut(new PrintWriter(new StringWriter()));
      assertEquals(2, agent.execute("run", "--hypervisor", "simulated", "--host-dir",
          tmp.toString(), "--controller", "localhost:1", "--cert", "a", "--key", "b", "--ca", "c",
          "--reconnect-max-delay", value), err.toString());
      assertTrue(err.toString().contains("--reconnect-max-delay must be from PT0.1S to PT1H"),
          err.toString());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> defaults().withReconnectMaxDelay(Duration.ofMillis(99)));
    assertTrue(e.getMessage().contains("got PT0.099S"), e.getMessage());
  }
}
