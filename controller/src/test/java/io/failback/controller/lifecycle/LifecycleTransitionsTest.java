package io.failback.controller.lifecycle;

import static io.failback.proto.v1.ProtectionState.DISABLING_PROTECTION;
import static io.failback.proto.v1.ProtectionState.FAILBACK_COMPLETING;
import static io.failback.proto.v1.ProtectionState.FAILBACK_INCONSISTENT;
import static io.failback.proto.v1.ProtectionState.FAILBACK_ROLLING_BACK;
import static io.failback.proto.v1.ProtectionState.FAILBACK_SYNCED;
import static io.failback.proto.v1.ProtectionState.FAILED_BACK;
import static io.failback.proto.v1.ProtectionState.FAILED_BACK_COMMIT_PENDING;
import static io.failback.proto.v1.ProtectionState.FAILED_OVER;
import static io.failback.proto.v1.ProtectionState.FAILED_OVER_COMMIT_PENDING;
import static io.failback.proto.v1.ProtectionState.FAILING_BACK;
import static io.failback.proto.v1.ProtectionState.FAILING_OVER;
import static io.failback.proto.v1.ProtectionState.INITIAL_REPLICATION;
import static io.failback.proto.v1.ProtectionState.PROTECTED;
import static io.failback.proto.v1.ProtectionState.PROTECTION_STATE_UNSPECIFIED;
import static io.failback.proto.v1.ProtectionState.REVERSE_REPLICATING;
import static io.failback.proto.v1.ProtectionState.UNPROTECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.failback.common.testing.MutableClock;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transition table, checked against an independent copy of DESIGN.md's diagram. */
class LifecycleTransitionsTest {
  /** The diagram plus protection.proto's transient states, written out again on purpose. */
  static final Map<ProtectionState, Set<ProtectionState>> EXPECTED = Map.ofEntries(
      Map.entry(UNPROTECTED, EnumSet.of(INITIAL_REPLICATION, DISABLING_PROTECTION)),
      Map.entry(INITIAL_REPLICATION, EnumSet.of(PROTECTED, UNPROTECTED)),
      Map.entry(PROTECTED, EnumSet.of(FAILING_OVER, DISABLING_PROTECTION)),
      Map.entry(FAILING_OVER, EnumSet.of(FAILED_OVER_COMMIT_PENDING, PROTECTED)),
      Map.entry(FAILED_OVER_COMMIT_PENDING, EnumSet.of(FAILED_OVER, FAILED_OVER_COMMIT_PENDING)),
      // Itself: a failback drill (TestFailback) keeps the item FAILED_OVER. DisableProtection
      // with keep_cloud_vm: the VM stays in the cloud for good.
      Map.entry(FAILED_OVER, EnumSet.of(FAILING_BACK, FAILED_OVER, DISABLING_PROTECTION)),
      Map.entry(FAILING_BACK, EnumSet.of(FAILBACK_SYNCED, FAILED_BACK_COMMIT_PENDING,
          FAILBACK_INCONSISTENT, FAILED_OVER)),
      Map.entry(FAILBACK_SYNCED, EnumSet.of(FAILBACK_COMPLETING, FAILBACK_INCONSISTENT,
          FAILED_OVER)),
      Map.entry(FAILBACK_COMPLETING, EnumSet.of(FAILED_BACK_COMMIT_PENDING,
          FAILBACK_INCONSISTENT, FAILED_OVER)),
      Map.entry(FAILBACK_INCONSISTENT, EnumSet.of(FAILING_BACK, FAILED_OVER,
          FAILBACK_INCONSISTENT)),
      Map.entry(FAILED_BACK_COMMIT_PENDING, EnumSet.of(FAILED_BACK, FAILBACK_ROLLING_BACK)),
      Map.entry(FAILBACK_ROLLING_BACK, EnumSet.of(FAILED_OVER, FAILED_BACK_COMMIT_PENDING,
          FAILBACK_ROLLING_BACK, FAILBACK_INCONSISTENT)),
      Map.entry(FAILED_BACK, EnumSet.of(REVERSE_REPLICATING, DISABLING_PROTECTION)),
      Map.entry(REVERSE_REPLICATING, EnumSet.of(PROTECTED, FAILED_BACK)),
      // Itself: a re-run finishes what a failed or interrupted DisableProtection began.
      Map.entry(DISABLING_PROTECTION, EnumSet.of(UNPROTECTED, DISABLING_PROTECTION)));

  static final Map<ProtectionState, List<String>> EXPECTED_ACTIONS = Map.ofEntries(
      Map.entry(UNPROTECTED, List.of("EnableProtection", "DisableProtection")),
      Map.entry(INITIAL_REPLICATION, List.of("CancelJob")),
      Map.entry(PROTECTED, List.of("PlannedFailover", "UnplannedFailover",
          "DisableProtection")),
      Map.entry(FAILING_OVER, List.of("CancelJob")),
      Map.entry(FAILED_OVER_COMMIT_PENDING, List.of("Commit", "RestartCloudVm")),
      Map.entry(FAILED_OVER, List.of("PlannedFailover", "TestFailback", "RestartCloudVm",
          "DisableProtection")),
      Map.entry(FAILING_BACK, List.of("CancelJob")),
      Map.entry(FAILBACK_SYNCED, List.of("CompleteFailover", "CancelJob")),
      Map.entry(FAILBACK_COMPLETING, List.of("CancelJob")),
      Map.entry(FAILBACK_INCONSISTENT, List.of("PlannedFailover", "RestartCloudVm")),
      Map.entry(FAILED_BACK_COMMIT_PENDING, List.of("Commit", "RollbackFailback")),
      Map.entry(FAILBACK_ROLLING_BACK, List.of("RollbackFailback")),
      Map.entry(FAILED_BACK, List.of("ReverseReplicate", "DisableProtection")),
      Map.entry(REVERSE_REPLICATING, List.of("CancelJob")),
      Map.entry(DISABLING_PROTECTION, List.of("DisableProtection")));

  @TempDir Path dir;
  private ControllerStore store;
  private ProtectedItems items;

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    items = new ProtectedItems(store.protectedItemRecords(),
        new MutableClock(Instant.parse("2025-03-01T10:00:00Z")));
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  @Test
  void tableMatchesTheDiagramForEveryPairOfStates() {
    assertEquals(EXPECTED.keySet(), Transitions.states());
    for (ProtectionState from : ProtectionState.values()) {
      for (ProtectionState to : ProtectionState.values()) {
        boolean expected = EXPECTED.getOrDefault(from, Set.of()).contains(to);
        assertEquals(expected, Transitions.isAllowed(from, to), from + " -> " + to);
      }
    }
  }

  @Test
  void eachStateAllowsTheListedOperatorActions() {
    EXPECTED_ACTIONS.forEach((state, actions) ->
        assertEquals(actions, Transitions.actionNames(state), state.name()));
    assertEquals(List.of(), Transitions.actionNames(PROTECTION_STATE_UNSPECIFIED));
  }

  @Test
  void actionsNameTheStateTheyEnter() {
    assertEquals(Optional.of(FAILING_BACK),
        Transitions.entered(FAILED_OVER, OperatorAction.PLANNED_FAILOVER));
    assertEquals(Optional.of(FAILING_BACK),
        Transitions.entered(FAILBACK_INCONSISTENT, OperatorAction.PLANNED_FAILOVER));
    assertEquals(Optional.of(FAILING_OVER),
        Transitions.entered(PROTECTED, OperatorAction.UNPLANNED_FAILOVER));
    assertEquals(Optional.of(FAILED_BACK),
        Transitions.entered(FAILED_BACK_COMMIT_PENDING, OperatorAction.COMMIT));
    assertEquals(Optional.empty(), Transitions.entered(FAILBACK_SYNCED, OperatorAction.CANCEL_JOB));
    assertEquals(Optional.empty(), Transitions.entered(FAILED_OVER, OperatorAction.COMMIT));
  }

  @Test
  void everyLegalTransitionIsAcceptedAndPersisted() throws Exception {
    int n = 0;
    for (var entry : EXPECTED.entrySet()) {
      for (ProtectionState to : entry.getValue()) {
        String vmId = "vm-" + n++;
        ProtectedItem before = LifecyclePaths.itemIn(items, vmId, entry.getKey());
        ProtectedItem after = items.transition(vmId, entry.getKey(), to,
            LifecyclePaths.changesFor(to));
        assertEquals(to, after.getState(), entry.getKey() + " -> " + to);
        assertEquals(EXPECTED_ACTIONS.get(to), after.getAllowedActionsList());
        assertEquals(after, items.get(vmId));
        // A re-run of a rollback stays on the cloud side: no new generation.
        assertEquals(before.getGeneration() + (Transitions.changesActiveSite(to)
            && to != entry.getKey() ? 1 : 0), after.getGeneration());
      }
    }
    assertEquals(38, n);
  }

  @Test
  void illegalTransitionsAreRefusedNamingStateAndAllowedActions() throws Exception {
    LifecyclePaths.itemIn(items, "42", FAILED_OVER);

    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> items.transition("42", null, PROTECTED, item -> { }));
    assertEquals("cannot move to PROTECTED: vm web-42 (id 42) is FAILED_OVER; allowed:"
        + " PlannedFailover, TestFailback, RestartCloudVm, DisableProtection", e.getMessage());
    assertEquals("FAILED_OVER", e.state());
    assertEquals(List.of("PlannedFailover", "TestFailback", "RestartCloudVm",
        "DisableProtection"), e.allowed());

    for (ProtectionState to : List.of(FAILED_BACK, FAILBACK_SYNCED,
        FAILED_OVER_COMMIT_PENDING, REVERSE_REPLICATING, UNPROTECTED,
        PROTECTION_STATE_UNSPECIFIED)) {
      assertThrows(IllegalTransitionException.class,
          () -> items.transition("42", null, to, item -> { }), to.name());
    }
    assertEquals(FAILED_OVER, items.get("42").getState());
    assertFalse(Transitions.isAllowed(PROTECTED, FAILED_OVER));
    assertFalse(Transitions.isAllowed(FAILBACK_INCONSISTENT, FAILED_BACK_COMMIT_PENDING));
    assertFalse(Transitions.isAllowed(FAILBACK_SYNCED, FAILED_BACK_COMMIT_PENDING));
  }

  /** While RestartCloudVm runs on a failed-over item its cloud VM is off: nothing else acts. */
  @Test
  void anItemWhoseCloudVmRestartsAllowsNothingUntilTheJobReleasesIt() throws Exception {
    for (ProtectionState state : List.of(FAILED_OVER_COMMIT_PENDING, FAILED_OVER,
        FAILBACK_INCONSISTENT)) {
      String vmId = "r-" + state.getNumber();
      LifecyclePaths.itemIn(items, vmId, state);
      ProtectedItem busy = items.transition(vmId, state, state, b -> b.setActiveJobId("j-1"));
      assertEquals(List.of(), busy.getAllowedActionsList(), state.name());
      for (OperatorAction action : Transitions.actions(state)) {
        assertThrows(IllegalTransitionException.class,
            () -> items.requireAction(vmId, action), action.rpcName());
      }
      ProtectedItem released = items.transition(vmId, state, state, b -> b.clearActiveJobId());
      assertEquals(Transitions.actionNames(state), released.getAllowedActionsList());
    }
  }
}
