package io.failback.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code failback-agent seed-demo-host}: what it refuses, before it writes anything. */
class SeedDemoHostTest {
  @TempDir Path tmp;
  private final StringWriter err = new StringWriter();
  private final CommandLine agent = AgentMain.commandLine().setErr(new PrintWriter(err))
      .setOut(new PrintWriter(new StringWriter()));

  @Test
  void aFillBeyondWebOnesDiskOrBelowZeroIsAUsageErrorAndSeedsNothing() {
    for (String fill : new String[] {"1025", "-3"}) {
      Path dir = tmp.resolve("host" + fill);
      assertEquals(2, agent.execute("seed-demo-host", "--dir", dir.toString(), "--host-name",
          "hv-9", "--fill-mib", fill));
      assertTrue(err.toString().contains("--fill-mib must be 0 to 1024 (web-01's disk) and"
          + " --guest-memory-mib 0 or more, got " + fill + " and 0"), err.toString());
      assertFalse(Files.exists(dir), "nothing seeded for " + fill);
    }
    assertEquals(0, agent.execute("seed-demo-host", "--dir", tmp.resolve("ok").toString(),
        "--host-name", "hv-9", "--fill-mib", "1"));
  }
}
