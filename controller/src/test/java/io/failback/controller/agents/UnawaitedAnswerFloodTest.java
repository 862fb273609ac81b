package io.failback.controller.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.LogCapture;
import io.failback.common.testing.MutableClock;
import io.failback.controller.agents.AgentRegistryTest.FakeConnection;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.RefreshInventory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host answering commands that were never sent, or sent to another host, in a
 * loop: each answer wrote a line of the controller's log, and the rolling log (100 MiB) lost
 * every other host's records within minutes.
 */
class UnawaitedAnswerFloodTest {
  @TempDir Path dir;
  final MutableClock clock = MutableClock.startingNow();
  final AtomicLong nanos = new AtomicLong();
  ControllerStore store;
  AgentRegistry registry;

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    registry = new AgentRegistry(store, clock, Duration.ofSeconds(10), Duration.ofSeconds(30),
        nanos::get);
    for (String host : new String[] {"hv-01", "hv-66"}) {
      registry.register(host, HostInventory.newBuilder().setHostName(host)
          .setHypervisorKind(HypervisorKind.SIMULATED).build(), "10.0.0.1:1", "i-" + host, 0,
          new FakeConnection());
    }
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private void flood(String commandId, int times) throws Exception {
    for (int i = 0; i < times; i++) {
      registry.commandResult("hv-66", CommandResult.newBuilder()
          .setCommandId(commandId.isEmpty() ? "never-sent-" + i : commandId).build());
    }
  }

  @Test
  void aFloodOfAnswersNobodyWaitsForIsLoggedOncePerMinuteWithItsCount() throws Exception {
    registry.send("hv-01", Command.newBuilder().setCommandId("hv-01s")
        .setRefreshInventory(RefreshInventory.getDefaultInstance()).build());
    try (LogCapture log = LogCapture.of(AgentRegistry.class)) {
      flood("", 10_000);
      flood("hv-01s", 10_000);
      assertEquals(1, log.messages().size(), "logged per answer: " + log.messages().size());
      assertTrue(log.messages().get(0).contains("answered a command nobody waits for"),
          log.messages().get(0));

      nanos.addAndGet(Duration.ofMinutes(1).toNanos());
      flood("hv-01s", 1);
      assertEquals(2, log.messages().size());
      assertTrue(log.messages().get(1).contains("answered a command sent to host hv-01;"
          + " ignored (and 19999 more such answers, not logged, in the 60 s before)"),
          log.messages().get(1));
    }
    // Another host's own late answer is logged as ever: the pace is each host's.
    try (LogCapture log = LogCapture.of(AgentRegistry.class)) {
      registry.commandResult("hv-01", CommandResult.newBuilder().setCommandId("late").build());
      assertEquals(1, log.messages().size());
    }
  }
}
