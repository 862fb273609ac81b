package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import io.failback.controller.store.TestDatabases.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(Backend.class)
class RecoveryPlanRecordsTest extends StoreTestBase {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");

  private static RecoveryPlan plan(String name, String... firstGroup) {
    return RecoveryPlan.newBuilder().setName(name)
        .addGroups(RecoveryPlanGroup.newBuilder().addAllVmIds(List.of(firstGroup))
            .setDelayAfter(Durations.fromSeconds(90)).setManualAction("check the database"))
        .addGroups(RecoveryPlanGroup.newBuilder().addVmIds("vm-web"))
        .build();
  }

  @Test
  void insertedPlanIsReadBackWholeAfterReopen() throws Exception {
    RecoveryPlan plan = plan("Tier-1", "vm-db");
    assertTrue(store.recoveryPlanRecords().insert(plan, T0));
    reopen();
    assertEquals(Optional.of(plan), store.recoveryPlanRecords().get("Tier-1"));
    assertEquals(List.of(plan), store.recoveryPlanRecords().list());
    assertEquals(T0.toEpochMilli(),
        Long.parseLong(queryString("SELECT created_at FROM recovery_plans")));
  }

  @Test
  void namesCompareCaseInsensitivelyAndASecondInsertChangesNothing() throws Exception {
    RecoveryPlan plan = plan("Tier-1", "vm-db");
    store.recoveryPlanRecords().insert(plan, T0);

    assertFalse(store.recoveryPlanRecords().insert(plan("TIER-1", "vm-other"), T0));
    assertEquals(Optional.of(plan), store.recoveryPlanRecords().get("tier-1"));
    assertEquals(List.of(plan), store.recoveryPlanRecords().list());
  }

  @Test
  void listIsSortedByNameRegardlessOfCase() throws Exception {
    for (String name : List.of("beta", "Alpha", "gamma", "Delta")) {
      store.recoveryPlanRecords().insert(plan(name, "vm-" + name), T0);
    }
    assertEquals(List.of("Alpha", "beta", "Delta", "gamma"),
        store.recoveryPlanRecords().list().stream().map(RecoveryPlan::getName).toList());
  }

  @Test
  void updateReplacesThePlanAndKeepsCreatedAt() throws Exception {
    store.recoveryPlanRecords().insert(plan("Tier-1", "vm-db"), T0);
    RecoveryPlan replacement = plan("Tier-1", "vm-db", "vm-db2");

    Optional<RecoveryPlan> updated = store.recoveryPlanRecords().update("TIER-1",
        T0.plusSeconds(60), current -> replacement);

    assertEquals(Optional.of(replacement), updated);
    assertEquals(Optional.of(replacement), store.recoveryPlanRecords().get("tier-1"));
    assertEquals(T0.toEpochMilli(),
        Long.parseLong(queryString("SELECT created_at FROM recovery_plans")));
    assertEquals(T0.plusSeconds(60).toEpochMilli(),
        Long.parseLong(queryString("SELECT updated_at FROM recovery_plans")));
  }

  @Test
  void updateMayNotRenameAndAMissingPlanIsNotCreated() throws Exception {
    RecoveryPlan plan = plan("Tier-1", "vm-db");
    store.recoveryPlanRecords().insert(plan, T0);

    assertThrows(IllegalArgumentException.class, () -> store.recoveryPlanRecords()
        .update("Tier-1", T0, current -> plan("tier-1", "vm-db")));
    assertEquals(Optional.of(plan), store.recoveryPlanRecords().get("Tier-1"));
    assertTrue(store.recoveryPlanRecords().update("missing", T0, current -> current).isEmpty());
    assertEquals(1, store.recoveryPlanRecords().list().size());
  }

  @Test
  void refusingMutationRollsBackAndIsRethrown() throws Exception {
    RecoveryPlan plan = plan("Tier-1", "vm-db");
    store.recoveryPlanRecords().insert(plan, T0);
    Exception refusal = new Exception("in use");

    Exception thrown = assertThrows(Exception.class, () -> store.recoveryPlanRecords()
        .update("Tier-1", T0, current -> {
          throw refusal;
        }));

    assertSame(refusal, thrown);
    assertEquals(Optional.of(plan), store.recoveryPlanRecords().get("Tier-1"));
  }

  @Test
  void deleteRemovesThePlanInAnyCase() throws Exception {
    store.recoveryPlanRecords().insert(plan("Tier-1", "vm-db"), T0);
    store.recoveryPlanRecords().insert(plan("Tier-2", "vm-app"), T0);

    assertTrue(store.recoveryPlanRecords().delete("tier-1"));
    assertFalse(store.recoveryPlanRecords().delete("tier-1"));
    assertEquals(Optional.empty(), store.recoveryPlanRecords().get("Tier-1"));
    assertEquals(List.of("Tier-2"),
        store.recoveryPlanRecords().list().stream().map(RecoveryPlan::getName).toList());
  }
}
