package io.failback.controller.agents;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.LogCapture;
import io.failback.common.testing.MutableClock;
import io.failback.controller.agents.AgentRegistryTest.FakeConnection;
import io.failback.controller.agents.boundary.AgentLimits;
import io.failback.controller.lifecycle.LifecycleException;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host answers a command with an error text made to forge a log record (a
 * newline and a line of its own) and to drive the operator's terminal (ANSI escapes, an OSC
 * title, a bell, a bidi override). The text reaches the controller's log, the job's error and
 * the CLI that prints it: each must show what the agent said, escaped, on one line.
 */
class HostileErrorTextTest {
  private static final String ID = "00000000-0000-0000-0000-0000000000aa";
  private static final String HOSTILE = "C:\\VMs\\app.vhdx is in use\n2026-12-08T00:00:00Z"
      + " INFO AgentRegistry [main] host hv-02 registered\u001b[2J\u001b]0;owned\u0007"
      + "\u009b31m\u202egpj.exe\r";

  @TempDir Path dir;
  final MutableClock clock = MutableClock.startingNow();
  ControllerStore store;
  AgentRegistry registry;
  final FakeConnection connection = new FakeConnection();

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    registry = new AgentRegistry(store, clock, Duration.ofSeconds(10), Duration.ofSeconds(30));
    registry.register("hv-01", HostInventory.newBuilder().setHostName("hv-01")
        .setHypervisorKind(HypervisorKind.SIMULATED).build(), "10.0.0.1:1", "i1", 0,
        connection);
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private static void assertPrintable(String text) {
    assertTrue(text.codePoints().noneMatch(c -> Character.isISOControl(c) || c == 0x202e),
        () -> "an invisible character passed: " + io.failback.common.text.BoundedText
            .truncate(text.replaceAll("\\p{Cntrl}", "?"), 200));
  }

  /** Answers the command the registry sent last with {@code error}. */
  private void answer(String error) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (connection.sent.stream().noneMatch(m -> m.hasCommand())) {
      assertTrue(System.nanoTime() < deadline, "no command was sent");
      Thread.sleep(10);
    }
    String id = connection.sent.stream().filter(m -> m.hasCommand()).reduce((a, b) -> b)
        .orElseThrow().getCommand().getCommandId();
    registry.commandResult("hv-01", CommandResult.newBuilder().setCommandId(id)
        .setError(error).build());
  }

  @Test
  void theErrorIsEscapedInTheLogAndInTheJobsErrorAndKeepsItsWords() throws Exception {
    AgentHosts hosts = new AgentHosts(registry, Duration.ofSeconds(10));
    CompletableFuture<LifecycleException> failed = CompletableFuture.supplyAsync(() ->
        assertThrows(LifecycleException.class, () -> hosts.stopVm("hv-01", ID, 1)));
    try (LogCapture log = LogCapture.of(AgentRegistry.class)) {
      answer(HOSTILE);
      String logged = log.messages().stream().filter(m -> m.contains("failed"))
          .findFirst().orElseThrow();
      assertPrintable(logged);
      assertTrue(logged.contains("\\u{001b}[2J"), logged);
    }
    String shown = failed.get().getMessage();
    assertPrintable(shown);
    assertTrue(shown.startsWith("host hv-01 could not stop the VM: C:\\VMs\\app.vhdx is in"
        + " use\\n2026-12-08T00:00:00Z INFO"), "a backslash of a path was escaped: " + shown);
    assertTrue(shown.endsWith("\\u{001b}]0;owned\\u{0007}\\u{009b}31m\\u{202e}gpj.exe\\r"),
        shown);
  }

  @Test
  void anOverLongHostileErrorIsEscapedThenCutWithinTheBound() throws Exception {
    CompletableFuture<CommandResult> result = registry.send("hv-01", io.failback.proto.v1
        .Command.newBuilder().setCommandId("c-1").setRefreshInventory(
            io.failback.proto.v1.RefreshInventory.getDefaultInstance()).build());
    // Each escape is eight characters for one: escaped after the cut, the bound was broken.
    registry.commandResult("hv-01", CommandResult.newBuilder().setCommandId("c-1")
        .setError("\u001b".repeat(AgentLimits.MAX_TEXT_CHARS)).build());
    String error = result.get().getError();
    assertPrintable(error);
    assertTrue(error.length() <= AgentLimits.MAX_TEXT_CHARS, error.length() + " characters");
    assertTrue(error.startsWith("\\u{001b}\\u{001b}") && error.contains("truncated"), error);
  }
}
