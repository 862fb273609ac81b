package io.failback.controller.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.failback.common.testing.LogCapture;
import io.failback.common.testing.MutableClock;
import io.failback.controller.agents.boundary.AgentLimits;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HostStatus;
import io.failback.proto.v1.RefreshInventory;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentRegistryTest {
  @TempDir Path dir;
  final MutableClock clock = MutableClock.startingNow();
  ControllerStore store;
  AgentRegistry registry;

  /** Records what the registry does to a stream. */
  static final class FakeConnection implements AgentConnection {
    final List<ControllerMessage> sent = new ArrayList<>();
    String closedBecause;

    @Override
    public void send(ControllerMessage message) {
      sent.add(message);
    }

    @Override
    public void close(String reason) {
      closedBecause = reason;
    }
  }

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    registry = new AgentRegistry(store, clock, Duration.ofSeconds(10), Duration.ofSeconds(30));
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  /** A VM id in Hyper-V's GUID form, made from a one-letter name. */
  private static String id(String name) {
    return "00000000-0000-0000-0000-0000000000" + name + name;
  }

  private static HostInventory inventory(String host, String... vms) {
    HostInventory.Builder inventory = HostInventory.newBuilder().setHostName(host)
        .setHypervisorKind(io.failback.proto.v1.HypervisorKind.SIMULATED);
    for (String vm : vms) {
      inventory.addVirtualMachines(VirtualMachine.newBuilder().setId(id(vm)).setName(vm));
    }
    return inventory.build();
  }

  @Test
  void heartbeatsKeepAHostOnlineAndSilenceTakesItOffline() throws Exception {
    FakeConnection connection = new FakeConnection();
    registry.register("HV-01", inventory("HV-01", "a"), "10.0.0.1:1", "i1", 0, connection);
    clock.advance(Duration.ofSeconds(25));
    registry.heartbeat("hv-01", connection);
    clock.advance(Duration.ofSeconds(25));
    assertEquals(List.of(), registry.expireStale());
    assertTrue(registry.isOnline("hv-01"));

    clock.advance(Duration.ofSeconds(6));
    assertEquals(List.of("hv-01"), registry.expireStale());
    assertFalse(registry.isOnline("hv-01"));
    assertTrue(connection.closedBecause.contains("no heartbeat for 31 s"),
        connection.closedBecause);
    assertEquals(HostStatus.OFFLINE, registry.host("hv-01").orElseThrow().getStatus());
  }

  /**
   * A host keeps the VM ids it no longer reports, so no other host takes them over: an
   * untrusted one reporting fresh ids again and again made that table grow without end.
   * Beyond the limit, the first claimed go; a protected item's VM ids never do.
   */
  @Test
  void aHostReportingFreshVmIdsAgainAndAgainOwnsABoundedNumber() throws Exception {
    String protectedId = fresh(9, 0);
    String failedBackTo = fresh(9, 1);
    String stale = fresh(9, 2);
    store.protectedItemRecords().insert(io.failback.proto.v1.ProtectedItem.newBuilder()
        .setVmId(protectedId).setOnPremVmId(failedBackTo).setOnPremHost("hv-01").build(),
        clock.instant());
    FakeConnection connection = new FakeConnection();
    HostInventory.Builder first = inventory("hv-01").toBuilder();
    for (String vm : List.of(protectedId, failedBackTo, stale)) {
      first.addVirtualMachines(VirtualMachine.newBuilder().setId(vm).setName("vm"));
    }
    registry.register("hv-01", first.build(), "x:1", "i1", 0, connection);
    HostInventory.Builder last = null;
    for (int round = 0; round < 5; round++) {
      clock.advance(Duration.ofSeconds(1));
      last = inventory("hv-01").toBuilder();
      for (int i = 0; i < AgentLimits.MAX_VMS; i++) {
        last.addVirtualMachines(VirtualMachine.newBuilder().setId(fresh(round, i))
            .setName("vm"));
      }
      registry.register("hv-01", last.build(), "x:1", "i1", 0, connection);
    }
    var owners = store.vmOwnerRecords();
    assertEquals(AgentLimits.MAX_OWNED_VMS, owners.ownedBy("hv-01").size());
    assertEquals(java.util.Optional.of("hv-01"), owners.owner(protectedId));
    assertEquals(java.util.Optional.of("hv-01"), owners.owner(failedBackTo));
    assertEquals(java.util.Optional.empty(), owners.owner(stale));
    for (VirtualMachine vm : last.getVirtualMachinesList()) {
      assertEquals(java.util.Optional.of("hv-01"), owners.owner(vm.getId()), vm.getId());
    }
  }

  private static String fresh(int round, int index) {
    return String.format("00000000-0000-0000-%04x-%012x", round, index);
  }

  @Test
  void newStreamFromTheSameHostReplacesTheOldOne() throws Exception {
    FakeConnection first = new FakeConnection();
    FakeConnection second = new FakeConnection();
    registry.register("hv-01", inventory("hv-01", "a", "b"), "x:1", "i1", 0, first);
    registry.register("hv-01", inventory("hv-01", "a"), "x:2", "i2", 0, second);
    assertTrue(first.closedBecause.contains("replaced by a newer connection from x:2"));
    assertEquals(1, registry.host("hv-01").orElseThrow().getInventory()
        .getVirtualMachinesCount());

    // The old stream ending later must not take the host offline.
    registry.disconnected("hv-01", first);
    assertTrue(registry.isOnline("hv-01"));
    registry.disconnected("hv-01", second);
    assertFalse(registry.isOnline("hv-01"));
  }

  /**
   * A move opens the next stream before the controller answered the current one, and their
   * Registers may arrive in either order: the earlier stream must not take the host over.
   */
  @Test
  void aStreamOvertakenByALaterOneOfTheSameAgentProcessIsRefused() throws Exception {
    FakeConnection earlier = new FakeConnection();
    FakeConnection later = new FakeConnection();
    assertTrue(registry.register("hv-01", inventory("hv-01", "a"), "x:2", "i1", 2, later));
    assertFalse(registry.register("hv-01", inventory("hv-01", "b"), "x:1", "i1", 1, earlier));

    assertEquals(List.of("a"), registry.host("hv-01").orElseThrow().getInventory()
        .getVirtualMachinesList().stream().map(VirtualMachine::getName).toList());
    registry.disconnected("hv-01", earlier);
    assertTrue(registry.isOnline("hv-01"), "the refused stream ending took the host offline");
    registry.send("hv-01", refresh("to-the-later"));
    assertEquals(1, later.sent.size());
    assertEquals(0, earlier.sent.size());
    // Inventory changes re-register on the same stream.
    assertTrue(registry.register("hv-01", inventory("hv-01", "c"), "x:2", "i1", 2, later));

    // Still refused once the later stream is gone: the agent has left the earlier one.
    registry.disconnected("hv-01", later);
    assertFalse(registry.register("hv-01", inventory("hv-01", "b"), "x:1", "i1", 1, earlier));
    assertFalse(registry.isOnline("hv-01"));
    // A restarted agent counts from 1 again; an agent that sends no sequence (0) is taken in
    // the order its streams register.
    assertTrue(registry.register("hv-01", inventory("hv-01", "d"), "x:3", "i2", 1,
        new FakeConnection()));
    assertTrue(registry.register("hv-01", inventory("hv-01", "d"), "x:4", "i2", 0,
        new FakeConnection()));
    assertTrue(registry.isOnline("hv-01"));
  }

  @Test
  void theSameAgentMovingToANewStreamClosesTheOldOneItselfAndIsAnsweredOnEither()
      throws Exception {
    FakeConnection first = new FakeConnection();
    FakeConnection second = new FakeConnection();
    registry.register("hv-01", inventory("hv-01", "a"), "x:1", "i1", 0, first);
    var sentBefore = registry.send("hv-01", refresh("before"));
    registry.register("hv-01", inventory("hv-01", "a"), "x:2", "i1", 0, second);
    var sentAfter = registry.send("hv-01", refresh("after"));

    assertNull(first.closedBecause, "left for the agent to close, after what it sent there");
    assertEquals(1, second.sent.size(), "new commands go to the new stream");
    registry.commandResult("hv-01", result("before"));
    registry.commandResult("hv-01", result("after"));
    assertTrue(sentBefore.isDone() && !sentBefore.isCompletedExceptionally());
    assertTrue(sentAfter.isDone() && !sentAfter.isCompletedExceptionally());

    // One moved stream per host is kept: an agent that moves again has the older one closed.
    FakeConnection third = new FakeConnection();
    registry.register("hv-01", inventory("hv-01", "a"), "x:3", "i1", 0, third);
    assertEquals("replaced by a newer connection from x:3", first.closedBecause);
    assertNull(second.closedBecause);
    FakeConnection fourth = new FakeConnection();
    registry.register("hv-01", inventory("hv-01", "a"), "x:4", "i1", 0, fourth);
    assertEquals("replaced by a newer connection from x:4", second.closedBecause);

    // An old stream the agent never closes (its connection died) goes after the timeout.
    clock.advance(Duration.ofSeconds(31));
    registry.heartbeat("hv-01", fourth);
    registry.expireStale();
    assertEquals("replaced, not closed", third.closedBecause);
    assertTrue(registry.isOnline("hv-01"));
  }

  /**
   * A command is awaited while its future is: answered, failed by the agent's restart or given
   * up by its caller, it is no longer, and a late answer changes nothing. Before, a command
   * nobody answered stayed for the controller's life.
   */
  @Test
  void aCommandIsAwaitedUntilAnsweredFailedOrGivenUp() throws Exception {
    FakeConnection connection = new FakeConnection();
    registry.register("hv-01", inventory("hv-01", "a"), "x:1", "i1", 0, connection);
    var answered = registry.send("hv-01", refresh("answered"));
    var givenUp = registry.send("hv-01", refresh("given-up"));
    var lost = registry.send("hv-01", refresh("lost"));
    assertEquals(3, registry.pendingCommands());

    registry.commandResult("hv-01", result("answered"));
    assertTrue(answered.isDone() && !answered.isCompletedExceptionally());
    givenUp.cancel(false);
    assertEquals(1, registry.pendingCommands());

    try (LogCapture log = LogCapture.of(AgentRegistry.class)) {
      registry.commandResult("hv-01", CommandResult.newBuilder().setCommandId("given-up")
          .setInventory(inventory("hv-01", "a", "late")).build());
      assertEquals(1, registry.host("hv-01").orElseThrow().getInventory()
          .getVirtualMachinesCount(), "a late answer's inventory was taken");
      assertEquals(Level.INFO, log.events().get(0).getLevel(), "routine after a restart");

      // Only the host a command went to may answer it.
      registry.register("hv-02", inventory("hv-02", "b"), "x:2", "i2", 0, new FakeConnection());
      registry.commandResult("hv-02", CommandResult.newBuilder().setCommandId("lost")
          .setInventory(inventory("hv-02", "b")).build());
      assertFalse(lost.isDone(), "another host answered hv-01's command");
      var warned = log.events().stream().filter(e -> e.getLevel() == Level.WARN).toList();
      assertEquals(1, warned.size(), log.events().toString());
      assertTrue(warned.get(0).getFormattedMessage()
          .contains("host hv-02 answered a command sent to host hv-01"), warned.toString());
    }

    // A new agent process never answers its predecessor's commands.
    registry.register("hv-01", inventory("hv-01", "a"), "x:3", "i3", 0, new FakeConnection());
    assertTrue(lost.isCompletedExceptionally());
    assertEquals(0, registry.pendingCommands());
  }

  private static Command refresh(String id) {
    return Command.newBuilder().setCommandId(id)
        .setRefreshInventory(RefreshInventory.getDefaultInstance()).build();
  }

  private static CommandResult result(String id) {
    return CommandResult.newBuilder().setCommandId(id).setInventory(inventory("hv-01", "a"))
        .build();
  }

  @Test
  void hostsSurviveARestartOffline() throws Exception {
    registry.register("hv-01", inventory("hv-01", "a"), "x:1", "i1", 0, new FakeConnection());
    store.close();
    store = ControllerStore.open(dir.resolve("controller.db"));
    registry = new AgentRegistry(store, clock, Duration.ofSeconds(10), Duration.ofSeconds(30));
    var host = registry.host("hv-01").orElseThrow();
    assertEquals(HostStatus.OFFLINE, host.getStatus());
    assertEquals(id("a"), host.getInventory().getVirtualMachines(0).getId());
  }

  @Test
  void refreshInventorySendsACommandOnlyToOnlineHosts() throws Exception {
    assertFalse(registry.refreshInventory("hv-01"));
    FakeConnection connection = new FakeConnection();
    registry.register("hv-01", inventory("hv-01"), "x:1", "i1", 0, connection);
    assertTrue(registry.refreshInventory("hv-01"));
    assertTrue(connection.sent.get(0).getCommand().hasRefreshInventory());
  }
}
