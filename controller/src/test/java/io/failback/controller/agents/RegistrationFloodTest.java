package io.failback.controller.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.LogCapture;
import io.failback.common.testing.MutableClock;
import io.failback.controller.agents.AgentRegistryTest.FakeConnection;
import io.failback.controller.agents.boundary.AgentInputException;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An untrusted agent sending Register again and again: each cost a validation and a store
 * transaction, and a conflicting VM id reported, dropped and reported again an audit row.
 */
class RegistrationFloodTest {
  private static final Duration HEARTBEAT = Duration.ofSeconds(10);
  private static final String VM = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

  @TempDir Path dir;
  final MutableClock clock = MutableClock.startingNow();
  /** The time registrations are paced by; moves only when a test moves it. */
  final AtomicLong nanos = new AtomicLong();
  ControllerStore store;
  AgentRegistry registry;

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    registry = new AgentRegistry(store, clock, HEARTBEAT, Duration.ofSeconds(30), nanos::get);
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private static HostInventory inventory(String host, String... vmIds) {
    HostInventory.Builder inventory = HostInventory.newBuilder().setHostName(host)
        .setHypervisorKind(HypervisorKind.SIMULATED);
    for (String id : vmIds) {
      inventory.addVirtualMachines(VirtualMachine.newBuilder().setId(id).setName("vm"));
    }
    return inventory.build();
  }

  private int auditRows() throws Exception {
    return store.auditRecords().recent("vm/" + VM, 1000).size();
  }

  @Test
  void registeringBeyondTheBurstIsRefusedBeforeAnythingIsStoredAndLoggedOnce()
      throws Exception {
    FakeConnection stream = new FakeConnection();
    for (int i = 0; i < RegistrationPace.BURST; i++) {
      assertTrue(registry.register("hv-01", inventory("hv-01"), "x:1", "i1", 0, stream));
    }
    try (LogCapture log = LogCapture.of(RegistrationPace.class)) {
      for (int i = 0; i < 100; i++) {
        // New streams too: a limit of one stream's Registers alone would be no limit.
        AgentInputException refused = assertThrows(AgentInputException.class,
            () -> registry.register("hv-01", inventory("hv-01", VM), "x:1", "i1", 0,
                new FakeConnection()));
        assertEquals(AgentInputException.Kind.TOO_LARGE, refused.kind());
        assertTrue(refused.getMessage().length() < 300, refused.getMessage());
      }
      assertEquals(1, log.messages().size(), log.messages().toString());
    }
    assertEquals(0, registry.host("hv-01").orElseThrow().getInventory()
        .getVirtualMachinesCount(), "a refused Register was stored");
    assertFalse(store.vmOwnerRecords().owner(VM).isPresent());
    assertTrue(registry.refusal("hv-01").isEmpty(), "an invalid inventory's refusal is shown,"
        + " the pace's is not: it would hide why the host was refused before");
    // Another host has a pace of its own.
    assertTrue(registry.register("hv-02", inventory("hv-02"), "x:2", "i2", 0, stream));
  }

  @Test
  void aHostRegisteringOncePerHeartbeatIsNeverRefused() throws Exception {
    FakeConnection stream = new FakeConnection();
    for (int i = 0; i < 10 * RegistrationPace.BURST; i++) {
      nanos.addAndGet(HEARTBEAT.toNanos());
      assertTrue(registry.register("hv-01", inventory("hv-01"), "x:1", "i1", 0, stream));
    }
    // The burst is left for reconnects, but for the one this heartbeat's Register took.
    for (int i = 1; i < RegistrationPace.BURST; i++) {
      assertTrue(registry.register("hv-01", inventory("hv-01"), "x:1", "i1", 0, stream));
    }
    assertThrows(AgentInputException.class,
        () -> registry.register("hv-01", inventory("hv-01"), "x:1", "i1", 0, stream));
    nanos.addAndGet(HEARTBEAT.toNanos());
    assertTrue(registry.register("hv-01", inventory("hv-01"), "x:1", "i1", 0, stream));
  }

  @Test
  void aConflictReportedDroppedAndReportedAgainIsAuditedOnce() throws Exception {
    registry.register("hv-01", inventory("hv-01", VM), "x:1", "i1", 0, new FakeConnection());
    FakeConnection rogue = new FakeConnection();
    for (int i = 0; i < 50; i++) {
      nanos.addAndGet(HEARTBEAT.toNanos());
      registry.register("hv-66", inventory("hv-66", VM), "x:66", "i66", 0, rogue);
      nanos.addAndGet(HEARTBEAT.toNanos());
      registry.register("hv-66", inventory("hv-66"), "x:66", "i66", 0, rogue);
    }
    assertEquals(1, auditRows());
    // Another host's report of the same VM is another conflict.
    registry.register("hv-77", inventory("hv-77", VM), "x:77", "i77", 0, new FakeConnection());
    assertEquals(2, auditRows());
    assertEquals(0, store.vmOwnerRecords().conflicts("hv-66").size());
    assertEquals(1, store.vmOwnerRecords().conflicts("hv-77").size());
  }

  /**
   * Heartbeats faster than the agent's (a hostile host's loop) keep its stream alive but cost a
   * store write once per half interval at most.
   */
  @Test
  void heartbeatsFasterThanHalfTheIntervalAreNotWrittenEachTime() throws Exception {
    FakeConnection stream = new FakeConnection();
    assertTrue(registry.register("hv-01", inventory("hv-01"), "x:1", "i1", 0, stream));
    long registered = clock.instant().toEpochMilli();
    for (int i = 0; i < 1000; i++) {
      advance(Duration.ofMillis(4)); // 4 s in all, under half of the 10 s interval
      registry.heartbeat("hv-01", stream);
    }
    assertEquals(registered, lastSeen(), "no heartbeat written");
    assertEquals(clock.instant(), registry.lastHeartbeats().get("hv-01"), "alive all the same");
    advance(Duration.ofSeconds(1));
    registry.heartbeat("hv-01", stream);
    assertEquals(clock.instant().toEpochMilli(), lastSeen(), "half an interval since: written");
    advance(Duration.ofSeconds(1));
    registry.heartbeat("hv-01", stream);
    assertEquals(clock.instant().minusSeconds(1).toEpochMilli(), lastSeen());
  }

  /** Both clocks: the wall clock the store records, the monotonic one that paces. */
  private void advance(Duration by) {
    clock.advance(by);
    nanos.addAndGet(by.toNanos());
  }

  private long lastSeen() throws Exception {
    return store.hostRecords().host("hv-01").orElseThrow().lastSeen().toEpochMilli();
  }
}
