package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.io.BaseEncoding;
import com.google.common.io.Resources;
import io.failback.controller.store.TestDatabases.Backend;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flyway's migrations on both stores, and the adoption of files from before Flyway. */
class SchemaMigrationTest {
  private static final int LATEST = ControllerStoreTest.LATEST_VERSION;
  private static final ProtectedItem ITEM = ProtectedItem.newBuilder().setVmId("VM-1")
      .setVmName("web-01").setOnPremHost("hv01").setState(ProtectionState.PROTECTED)
      .setGeneration(3).build();

  @TempDir Path dir;

  @Test
  void aNewSqliteFileGetsEveryMigrationOnceAndKeepsItsData() throws Exception {
    checkNewStore(new StoreLocation.SqliteFile(dir.resolve("controller.db")));
    Path file = dir.resolve("controller.db");
    assertEquals(LATEST, RawSqlite.queryInt(file, "PRAGMA user_version"));
    assertEquals(SchemaMigrations.APPLICATION_ID,
        RawSqlite.queryInt(file, "PRAGMA application_id"));
  }

  @Test
  void aNewPostgresDatabaseGetsEveryMigrationOnceAndKeepsItsData() throws Exception {
    checkNewStore(TestDatabases.newPostgresDatabase());
  }

  private static void checkNewStore(StoreLocation location) throws Exception {
    try (ControllerStore store = ControllerStore.open(location)) {
      store.protectedItemRecords().insert(ITEM, Instant.EPOCH);
    }
    try (ControllerStore store = ControllerStore.open(location)) {
      assertEquals(Optional.of(ITEM), store.protectedItemRecords().get("vm-1"));
    }
    assertEquals(String.valueOf(LATEST), TestDatabases.queryString(location,
        "SELECT count(*) FROM " + SchemaMigrations.HISTORY_TABLE + " WHERE success"));
    assertEquals(String.valueOf(LATEST), TestDatabases.queryString(location,
        "SELECT max(version) FROM " + SchemaMigrations.HISTORY_TABLE));
  }

  @Test
  void bothStoresHoldTheSameTablesAndColumns() throws Exception {
    StoreLocation sqlite = new StoreLocation.SqliteFile(dir.resolve("controller.db"));
    StoreLocation postgres = TestDatabases.newPostgresDatabase();
    ControllerStore.open(sqlite).close();
    ControllerStore.open(postgres).close();

    Set<String> sqliteColumns = columns(sqlite, "SELECT m.name || '.' || p.name FROM"
        + " sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
        + " AND m.name NOT LIKE 'sqlite_%'");
    Set<String> postgresColumns = columns(postgres, "SELECT table_name || '.' || column_name"
        + " FROM information_schema.columns WHERE table_schema = current_schema()");
    // SQLite orders jobs created in the same millisecond by its implicit rowid.
    sqliteColumns.add("jobs.seq");
    assertEquals(sqliteColumns, postgresColumns);
  }

  @Test
  void aSqliteFileFromBeforeFlywayIsAdoptedAtItsVersionWithItsData() throws Exception {
    Path file = dir.resolve("controller.db");
    // What the hand-written migrator of earlier builds left: versions 1 and 2 applied, the
    // version in PRAGMA user_version, and an item.
    for (String script : List.of("V1__hosts.sql", "V2__protected_items_jobs_checkpoints.sql")) {
      RawSqlite.execute(file, Resources.toString(Resources.getResource(
          "db/migration/sqlite/" + script), StandardCharsets.UTF_8));
    }
    RawSqlite.execute(file, "PRAGMA user_version = 2; PRAGMA application_id = "
        + SchemaMigrations.APPLICATION_ID + "; INSERT INTO protected_items VALUES ('VM-1', X'"
        + BaseEncoding.base16().encode(ITEM.toByteArray()) + "', 'PROTECTED', 0)");

    try (ControllerStore store = ControllerStore.open(file)) {
      assertEquals(Optional.of(ITEM), store.protectedItemRecords().get("vm-1"));
      assertTrue(store.recoveryPlanRecords().list().isEmpty()); // V3 ran
      assertTrue(store.enrollmentTokenRecords() != null);
    }
    assertEquals(LATEST, RawSqlite.queryInt(file, "PRAGMA user_version"));
    assertEquals("BASELINE", RawSqlite.queryString(file, "SELECT type FROM "
        + SchemaMigrations.HISTORY_TABLE + " WHERE version = '2'"));
    assertEquals(LATEST - 2, RawSqlite.queryInt(file, "SELECT count(*) FROM "
        + SchemaMigrations.HISTORY_TABLE + " WHERE type = 'SQL' AND success"));
  }

  @Test
  void aSqliteFileMigratedByANewerControllerIsRefusedUntouched() throws Exception {
    Path file = dir.resolve("controller.db");
    ControllerStore.open(file).close();
    markNewer(new StoreLocation.SqliteFile(file));
    byte[] before = Files.readAllBytes(file);

    StoreException e = assertThrows(StoreException.class, () -> ControllerStore.open(file));

    assertEquals(file.toAbsolutePath() + " has schema version 99 but this controller knows up"
        + " to " + LATEST + "; upgrade the controller", e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(file));
  }

  @Test
  void aPostgresDatabaseMigratedByANewerControllerIsRefused() throws Exception {
    StoreLocation.Postgres location = TestDatabases.newPostgresDatabase();
    ControllerStore.open(location).close();
    markNewer(location);

    StoreException e = assertThrows(StoreException.class, () -> ControllerStore.open(location));

    assertEquals(location.describe() + " has schema version 99 but this controller knows up"
        + " to " + LATEST + "; upgrade the controller", e.getMessage());
  }

  @Test
  void aPostgresDatabaseOfAnotherApplicationIsRefusedUntouched() throws Exception {
    StoreLocation.Postgres location = TestDatabases.newPostgresDatabase();
    TestDatabases.execute(location, "CREATE TABLE orders (id INT)");

    StoreException e = assertThrows(StoreException.class, () -> ControllerStore.open(location));

    assertTrue(e.getMessage().contains("not a Failback controller database"), e.getMessage());
    assertEquals(Set.of("orders"), columns(location, "SELECT table_name FROM"
        + " information_schema.tables WHERE table_schema = current_schema()"));
  }

  @Test
  void aPostgresServerThatCannotBeReachedIsNamedWithAHint() throws Exception {
    StoreLocation.Postgres location = new StoreLocation.Postgres("127.0.0.1", 1, "failback",
        "failback", null, java.util.Map.of("connectTimeout", "2"));

    StoreException e = assertThrows(StoreException.class, () -> ControllerStore.open(location));

    assertTrue(e.getMessage().contains("postgresql://failback@127.0.0.1:1/failback"),
        e.getMessage());
    assertTrue(e.getMessage().contains("cannot be reached"), e.getMessage());
    assertFalse(e.getMessage().contains("password"), e.getMessage());
  }

  private static void markNewer(StoreLocation location) throws Exception {
    TestDatabases.execute(location, "INSERT INTO " + SchemaMigrations.HISTORY_TABLE
        + " (installed_rank, version, description, type, script, checksum, installed_by,"
        + " execution_time, success) VALUES (99, '99', 'from the future', 'SQL',"
        + " 'V99__future.sql', 0, 'test', 0, true)");
  }

  private static Set<String> columns(StoreLocation location, String sql) throws Exception {
    Set<String> names = new TreeSet<>();
    try (Connection connection = TestDatabases.connect(location);
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      while (rows.next()) {
        if (!rows.getString(1).startsWith(SchemaMigrations.HISTORY_TABLE)) {
          names.add(rows.getString(1));
        }
      }
    }
    return names;
  }
}
