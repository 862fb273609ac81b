package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaMigrationTest {

  private static final Migration CREATE_COUNTER =
      new Migration(1, "counter", "CREATE TABLE counter (n INTEGER NOT NULL) STRICT;");
  private static final Migration COUNT_ONE =
      new Migration(2, "count one", "INSERT INTO counter VALUES (1);");

  @TempDir Path dir;

  @Test
  void newDatabaseGetsTheLatestVersionAndReopeningKeepsIt() throws Exception {
    Path file = dir.resolve("controller.db");
    try (ControllerStore store = ControllerStore.open(file)) {
      store
          .hostRecords()
          .recordRegistration(
              "hv01", Inventories.inventory("hv01", "vm1"), "10.0.0.1:50000", "a1", Instant.EPOCH);
    }
    try (ControllerStore store = ControllerStore.open(file)) {
      assertTrue(store.hostRecords().host("hv01").isPresent());
    }

    assertEquals(ControllerSchema.LATEST_VERSION, RawSqlite.queryInt(file, "PRAGMA user_version"));
    assertEquals(5, ControllerSchema.LATEST_VERSION);
    assertEquals(
        SchemaMigrator.APPLICATION_ID, RawSqlite.queryInt(file, "PRAGMA application_id"));
  }

  @Test
  void versionOneFileIsUpgradedKeepingItsHosts() throws Exception {
    Path file = dir.resolve("controller.db");
    try (ControllerStore store =
        ControllerStore.open(file, ControllerSchema.MIGRATIONS.subList(0, 1))) {
      store
          .hostRecords()
          .recordRegistration(
              "hv01", Inventories.inventory("hv01", "vm1"), "10.0.0.1:50000", "a1", Instant.EPOCH);
    }
    assertEquals(1, RawSqlite.queryInt(file, "PRAGMA user_version"));

    try (ControllerStore store = ControllerStore.open(file)) {
      assertTrue(store.hostRecords().host("hv01").isPresent());
      assertTrue(store.protectedItemRecords().list().isEmpty());
      assertTrue(store.jobRecords().list().isEmpty());
    }
    assertEquals(ControllerSchema.LATEST_VERSION, RawSqlite.queryInt(file, "PRAGMA user_version"));
    assertEquals(
        3,
        RawSqlite.queryInt(
            file,
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                + " ('protected_items', 'jobs', 'sync_checkpoints')"));
  }

  @Test
  void versionTwoFileIsUpgradedKeepingItsItemsAndJobs() throws Exception {
    Path file = dir.resolve("controller.db");
    ProtectedItem item = ProtectedItem.newBuilder().setVmId("VM-1").setVmName("web-01")
        .setOnPremHost("hv01").setState(ProtectionState.PROTECTED).setGeneration(3).build();
    Job job = Job.newBuilder().setId("j1").setKind("PlannedFailover")
        .setState(JobState.JOB_RUNNING).setRecoveryPlan("web").addVmIds("VM-1").build();
    try (ControllerStore store =
        ControllerStore.open(file, ControllerSchema.MIGRATIONS.subList(0, 2))) {
      store.protectedItemRecords().insert(item, Instant.EPOCH);
      store.jobRecords().insert(job);
    }
    assertEquals(2, RawSqlite.queryInt(file, "PRAGMA user_version"));

    try (ControllerStore store = ControllerStore.open(file)) {
      assertEquals(List.of(item), store.protectedItemRecords().list());
      assertEquals(List.of(job), store.jobRecords().list());
      assertTrue(store.recoveryPlanRecords().list().isEmpty());
      RecoveryPlan plan = RecoveryPlan.newBuilder().setName("web")
          .addGroups(RecoveryPlanGroup.newBuilder().addVmIds("VM-1")).build();
      assertTrue(store.recoveryPlanRecords().insert(plan, Instant.EPOCH));
    }
    assertEquals(ControllerSchema.LATEST_VERSION, RawSqlite.queryInt(file, "PRAGMA user_version"));
    assertEquals("STRICT", RawSqlite.queryString(file,
        "SELECT CASE WHEN sql LIKE '%) STRICT' THEN 'STRICT' ELSE sql END FROM sqlite_master"
            + " WHERE name = 'recovery_plans'"));
  }

  @Test
  void eachMigrationRunsOnce() throws Exception {
    Path file = dir.resolve("controller.db");
    List<Migration> migrations = List.of(CREATE_COUNTER, COUNT_ONE);

    ControllerStore.open(file, migrations).close();
    ControllerStore.open(file, migrations).close();

    assertEquals(1, RawSqlite.queryInt(file, "SELECT count(*) FROM counter"));
    assertEquals(2, RawSqlite.queryInt(file, "PRAGMA user_version"));
  }

  @Test
  void newerBuildAppliesOnlyTheMigrationsTheFileLacks() throws Exception {
    Path file = dir.resolve("controller.db");
    ControllerStore.open(file, List.of(CREATE_COUNTER)).close();
    assertEquals(1, RawSqlite.queryInt(file, "PRAGMA user_version"));

    ControllerStore.open(file, List.of(CREATE_COUNTER, COUNT_ONE)).close();

    assertEquals(1, RawSqlite.queryInt(file, "SELECT count(*) FROM counter"));
    assertEquals(2, RawSqlite.queryInt(file, "PRAGMA user_version"));
  }

  @Test
  void failedMigrationLeavesThePreviousVersionWhole() throws Exception {
    Path file = dir.resolve("controller.db");
    Migration broken =
        new Migration(
            2, "broken", "CREATE TABLE half_done (x); INSERT INTO no_such_table VALUES (1);");

    List<Migration> migrations = List.of(CREATE_COUNTER, broken);

    StoreException e =
        assertThrows(StoreException.class, () -> ControllerStore.open(file, migrations));

    assertTrue(e.getMessage().contains("migration 2 (broken)"), e.getMessage());
    assertTrue(e.getMessage().contains("no_such_table"), e.getMessage());
    assertEquals(1, RawSqlite.queryInt(file, "PRAGMA user_version"));
    assertEquals(
        0,
        RawSqlite.queryInt(
            file, "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'"));
  }

  @Test
  void migrationVersionsMustRunWithoutGaps() {
    Path file = dir.resolve("controller.db");
    Migration three = new Migration(3, "three", "CREATE TABLE t (x);");

    assertThrows(
        IllegalArgumentException.class,
        () -> ControllerStore.open(file, List.of(CREATE_COUNTER, three)));
  }
}
