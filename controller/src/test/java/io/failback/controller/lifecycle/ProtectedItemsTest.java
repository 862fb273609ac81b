package io.failback.controller.lifecycle;

import static io.failback.proto.v1.ProtectionState.FAILBACK_COMPLETING;
import static io.failback.proto.v1.ProtectionState.FAILBACK_INCONSISTENT;
import static io.failback.proto.v1.ProtectionState.FAILBACK_SYNCED;
import static io.failback.proto.v1.ProtectionState.FAILED_BACK;
import static io.failback.proto.v1.ProtectionState.FAILED_BACK_COMMIT_PENDING;
import static io.failback.proto.v1.ProtectionState.FAILED_OVER;
import static io.failback.proto.v1.ProtectionState.FAILED_OVER_COMMIT_PENDING;
import static io.failback.proto.v1.ProtectionState.FAILING_BACK;
import static io.failback.proto.v1.ProtectionState.FAILING_OVER;
import static io.failback.proto.v1.ProtectionState.INITIAL_REPLICATION;
import static io.failback.proto.v1.ProtectionState.PROTECTED;
import static io.failback.proto.v1.ProtectionState.REVERSE_REPLICATING;
import static io.failback.proto.v1.ProtectionState.UNPROTECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MutableClock;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.DiskTracking;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProtectedItemsTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2025-03-01T10:00:00Z"));
  private ControllerStore store;
  private ProtectedItems items;

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    items = new ProtectedItems(store.protectedItemRecords(), clock);
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private ProtectedItem move(String vmId, ProtectionState to) throws Exception {
    return items.transition(vmId, null, to, LifecyclePaths.changesFor(to));
  }

  @Test
  void createdItemIsUnprotectedAtGenerationOneAndOnlyOnce() throws Exception {
    ProtectedItem item = items.create("42", "web-01", "hv01");

    assertEquals(UNPROTECTED, item.getState());
    assertEquals(1, item.getGeneration());
    assertEquals(List.of("EnableProtection", "DisableProtection"), item.getAllowedActionsList());
    assertEquals(item, items.get("42"));
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> items.create("42", "web-01", "hv01"));
    assertEquals("cannot create it again: vm web-01 (id 42) is UNPROTECTED; allowed:"
        + " EnableProtection, DisableProtection", e.getMessage());
  }

  @Test
  void aChosenBlockSizeIsKeptUntilAJobRecordsAnother() throws Exception {
    items.create("42", "web-01", "hv01");
    move("42", INITIAL_REPLICATION);
    // Only in the state the copy runs in.
    assertEquals(0, items.chooseBlockSize("42", PROTECTED, 16384).getBlockSize());
    ProtectedItem chosen = items.chooseBlockSize("42", INITIAL_REPLICATION, 16384);
    assertEquals(16384, chosen.getBlockSize());
    assertTrue(chosen.getBlockSizeChosen());
    DiskTracking tracked = DiskTracking.newBuilder()
        .setDiskIndex(0).setDigestSet("s-d0").setChangeReference("r").setBlockSize(16384)
        .build();
    items.recordTracking("42", INITIAL_REPLICATION, List.of(tracked),
        OptionalInt.of(16384));
    assertTrue(items.get("42").getBlockSizeChosen(), "the copy in the chosen blocks keeps it");
    // With tracked changes of its blocks, nothing is chosen again.
    assertEquals(16384, items.chooseBlockSize("42", INITIAL_REPLICATION, 0).getBlockSize());
    items.recordTracking("42", INITIAL_REPLICATION, List.of(tracked.toBuilder()
        .setBlockSize(4096).build()), OptionalInt.of(4096));
    ProtectedItem asked = items.get("42");
    assertEquals(4096, asked.getBlockSize());
    assertFalse(asked.getBlockSizeChosen(), "another size is a job's: " + asked);
  }

  @Test
  void unknownVmIsNotFound() {
    NotFoundException e = assertThrows(NotFoundException.class, () -> items.get("nope"));
    assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    assertThrows(NotFoundException.class, () -> move("nope", INITIAL_REPLICATION));
    assertThrows(NotFoundException.class, () -> items.mayRunOnPrem("nope"));
  }

  @Test
  void listIsSortedByName() throws Exception {
    items.create("2", "zeta", "hv01");
    items.create("1", "alpha", "hv02");
    assertEquals(List.of("alpha", "zeta"),
        items.list().stream().map(ProtectedItem::getVmName).toList());
  }

  @Test
  void transitionsAndChangesSurviveReopeningTheStore() throws Exception {
    items.create("42", "web-01", "hv01");
    move("42", INITIAL_REPLICATION);
    items.transition("42", INITIAL_REPLICATION, PROTECTED,
        item -> item.setCloudVmId("cloud-42").setActiveJobId(""));
    store.close();

    store = ControllerStore.open(dir.resolve("controller.db"));
    items = new ProtectedItems(store.protectedItemRecords(), clock);
    ProtectedItem item = items.get("42");
    assertEquals(PROTECTED, item.getState());
    assertEquals("cloud-42", item.getCloudVmId());
    assertEquals(List.of("PlannedFailover", "UnplannedFailover",
        "DisableProtection"), item.getAllowedActionsList());
  }

  @Test
  void generationGrowsWhenTheActiveSiteMovesAndOnlyThen() throws Exception {
    items.create("42", "web-01", "hv01");
    List<ProtectionState> cycle = List.of(INITIAL_REPLICATION, PROTECTED, FAILING_OVER,
        FAILED_OVER_COMMIT_PENDING, FAILED_OVER, FAILING_BACK, FAILBACK_SYNCED,
        FAILBACK_COMPLETING, FAILED_BACK_COMMIT_PENDING, FAILED_BACK, REVERSE_REPLICATING,
        PROTECTED);
    List<Long> expected = List.of(1L, 1L, 1L, 2L, 2L, 2L, 2L, 2L, 3L, 3L, 3L, 3L);
    for (int i = 0; i < cycle.size(); i++) {
      // A change that tries to set the generation itself is overruled.
      ProtectedItem item = items.transition("42", null, cycle.get(i),
          b -> b.setGeneration(99).setState(UNPROTECTED));
      assertEquals(cycle.get(i), item.getState());
      assertEquals(expected.get(i), item.getGeneration(), cycle.get(i).name());
    }
  }

  @Test
  void staleExpectedStateIsRefused() throws Exception {
    items.create("42", "web-01", "hv01");
    move("42", INITIAL_REPLICATION);

    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> items.transition("42", UNPROTECTED, INITIAL_REPLICATION, b -> { }));
    assertEquals("cannot move from UNPROTECTED to INITIAL_REPLICATION: vm web-01 (id 42) is"
        + " INITIAL_REPLICATION; allowed: CancelJob", e.getMessage());
  }

  @Test
  void requireActionChecksTheCurrentState() throws Exception {
    LifecyclePaths.itemIn(items, "42", FAILED_OVER);

    assertEquals(FAILED_OVER, items.requireAction("42", OperatorAction.PLANNED_FAILOVER)
        .getState());
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> items.requireAction("42", "Commit"));
    assertEquals("cannot Commit: vm web-42 (id 42) is FAILED_OVER; allowed: PlannedFailover,"
        + " TestFailback, RestartCloudVm, DisableProtection",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> items.requireAction("42", "Reboot"));
  }

  @Test
  void onPremMayRunOnlyWhileItIsTheActiveSite() throws Exception {
    Set<ProtectionState> fenced = EnumSet.of(FAILING_OVER, FAILED_OVER_COMMIT_PENDING,
        FAILED_OVER, FAILING_BACK, FAILBACK_SYNCED, FAILBACK_COMPLETING, FAILBACK_INCONSISTENT,
        ProtectionState.FAILBACK_ROLLING_BACK);
    int n = 0;
    for (ProtectionState state : Transitions.states()) {
      String vmId = "vm-" + n++;
      LifecyclePaths.itemIn(items, vmId, state);
      assertEquals(!fenced.contains(state), items.mayRunOnPrem(vmId), state.name());
    }
  }

  @Test
  void inconsistentDisksStayInconsistentUntilAFailbackIsVerified() throws Exception {
    LifecyclePaths.itemIn(items, "42", FAILING_BACK);
    assertThrows(IllegalArgumentException.class,
        () -> items.transition("42", FAILING_BACK, FAILBACK_INCONSISTENT, b -> { }));

    move("42", FAILBACK_INCONSISTENT);
    move("42", FAILING_BACK);
    // The re-run failed before writing anything, but the earlier run's writes remain.
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> items.transition("42", FAILING_BACK, FAILED_OVER, b -> { }));
    assertTrue(e.getMessage().contains("on-prem disks are inconsistent (sync cancelled after"
        + " on-prem writes)"), e.getMessage());
    assertEquals("sync cancelled after on-prem writes", items.get("42").getInconsistentReason());

    assertEquals("", move("42", FAILED_BACK_COMMIT_PENDING).getInconsistentReason());
  }

  @Test
  void changesMayNotAlterTheVmId() throws Exception {
    items.create("42", "web-01", "hv01");
    assertThrows(IllegalArgumentException.class,
        () -> items.transition("42", null, INITIAL_REPLICATION, b -> b.setVmId("43")));
    assertEquals(UNPROTECTED, items.get("42").getState());
  }
}
