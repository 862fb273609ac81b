package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only the SQLite file store does; {@link SchemaMigrationTest} covers both stores. */
class ControllerStoreTest {
  /** The schema version of this build. */
  static final int LATEST_VERSION = 9;

  @TempDir Path dir;

  @Test
  void opensNewFileInMissingFoldersWithDurableSettings() throws Exception {
    Path file = dir.resolve("state/controller/controller.db");

    try (ControllerStore store = ControllerStore.open(file)) {
      assertEquals(new StoreLocation.SqliteFile(file), store.location());
      assertEquals("2", pragma(store, "synchronous")); // FULL
      assertEquals("1", pragma(store, "foreign_keys"));
      assertEquals(
          String.valueOf(SqliteDatabase.BUSY_TIMEOUT.toMillis()), pragma(store, "busy_timeout"));
    }
    // WAL is a property of the file, so another connection sees it.
    assertEquals("wal", RawSqlite.queryString(file, "PRAGMA journal_mode"));
  }

  @Test
  void refusesAFileOfANewerControllerFromBeforeFlywayWithoutTouchingIt() throws Exception {
    Path file = dir.resolve("controller.db");
    RawSqlite.execute(file, "CREATE TABLE hosts (name TEXT); PRAGMA user_version = 7;"
        + " PRAGMA application_id = " + SchemaMigrations.APPLICATION_ID);
    byte[] before = Files.readAllBytes(file);

    StoreException e = assertThrows(StoreException.class, () -> ControllerStore.open(file));

    assertEquals(
        file.toAbsolutePath()
            + " has schema version 7 but this controller knows up to "
            + LATEST_VERSION + "; upgrade the controller",
        e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(file));
    assertFalse(Files.exists(dir.resolve("controller.db-wal")));
  }

  @Test
  void refusesAFileThatIsNotADatabaseWithoutTouchingIt() throws Exception {
    Path file = dir.resolve("controller.db");
    byte[] garbage = new byte[8192];
    new Random(42).nextBytes(garbage);
    Files.write(file, garbage);

    StoreException e = assertThrows(StoreException.class, () -> ControllerStore.open(file));

    assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a SQLite database"), e.getMessage());
    assertArrayEquals(garbage, Files.readAllBytes(file));
  }

  @Test
  void refusesADatabaseOfAnotherApplication() throws Exception {
    Path file = dir.resolve("other.db");
    RawSqlite.execute(file, "PRAGMA application_id = 1234; CREATE TABLE t (x)");

    StoreException e = assertThrows(StoreException.class, () -> ControllerStore.open(file));

    assertTrue(e.getMessage().contains("belongs to another application"), e.getMessage());
    assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), e.getMessage());
  }

  @Test
  void refusesADatabaseWithTablesButNoControllerSchema() throws Exception {
    Path file = dir.resolve("other.db");
    RawSqlite.execute(file, "CREATE TABLE t (x)");
    byte[] before = Files.readAllBytes(file);

    StoreException e = assertThrows(StoreException.class, () -> ControllerStore.open(file));

    assertTrue(e.getMessage().contains("not a Failback controller database"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(file));
  }

  @Test
  void refusesAFolderInPlaceOfTheFile() throws Exception {
    Path folder = Files.createDirectory(dir.resolve("controller.db"));

    StoreException e = assertThrows(StoreException.class, () -> ControllerStore.open(folder));

    assertTrue(e.getMessage().contains(folder.toAbsolutePath().toString()), e.getMessage());
  }

  @Test
  void closedStoreRefusesCallsAndClosesOnce() throws Exception {
    ControllerStore store = ControllerStore.open(dir.resolve("controller.db"));
    store.close();
    store.close();

    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> store.hostRecords().recordHeartbeat("hv01", Instant.EPOCH));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  private static String pragma(ControllerStore store, String name) throws StoreException {
    return store.inTransaction(
        "Reading a pragma", tx -> Transactions.queryString(tx, "PRAGMA " + name));
  }
}
