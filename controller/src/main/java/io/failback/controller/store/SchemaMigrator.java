package io.failback.controller.store;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Brings a database file to the latest schema version, one transaction per migration.
 *
 * <p>The version lives in {@code PRAGMA user_version}; {@code PRAGMA application_id} marks the
 * file as a Failback controller database. Both are part of the database header and change in
 * the same transaction as the migration, so a crash leaves the file at one version or the next.
 */
final class SchemaMigrator {

  /** "FBKC" (Failback controller), as SQLite's {@code application_id}. */
  static final int APPLICATION_ID = 0x46424b43;

  private final Path dbFile;
  private final List<Migration> migrations;

  SchemaMigrator(Path dbFile, List<Migration> migrations) {
    for (int i = 0; i < migrations.size(); i++) {
      checkArgument(
          migrations.get(i).version() == i + 1,
          "migration %s is at position %s; versions must run 1, 2, 3... without gaps",
          migrations.get(i).version(),
          i + 1);
    }
    this.dbFile = dbFile;
    this.migrations = List.copyOf(migrations);
  }

  int latestVersion() {
    return migrations.size();
  }

  /**
   * Refuses, without writing anything, a file that this build cannot use: not a database, a
   * database of another application, or a schema newer than this build knows.
   *
   * @return the file's schema version, 0 for a new file
   */
  int verifyCompatible(Connection connection) throws StoreException {
    try {
      return checkCompatible(connection);
    } catch (SQLException e) {
      throw SqlFailures.of(dbFile, "Reading the schema version", e);
    }
  }

  /** Applies, in order, every migration the file has not had yet. */
  void migrate(Connection connection) throws StoreException {
    int current = verifyCompatible(connection);
    for (Migration migration : migrations.subList(current, migrations.size())) {
      try {
        Transactions.run(connection, tx -> apply(tx, migration));
      } catch (SQLException e) {
        throw SqlFailures.of(
            dbFile,
            String.format(
                "Applying schema migration %d (%s)", migration.version(), migration.description()),
            e);
      }
    }
  }

  private Void apply(Connection tx, Migration migration) throws SQLException, StoreException {
    // Another process may have migrated the file since it was last read.
    if (checkCompatible(tx) >= migration.version()) {
      return null;
    }
    Transactions.execute(tx, migration.sql());
    Transactions.execute(tx, "PRAGMA user_version = " + migration.version());
    Transactions.execute(tx, "PRAGMA application_id = " + APPLICATION_ID);
    return null;
  }

  /** Returns the file's schema version after checking that this build can use the file. */
  private int checkCompatible(Connection connection) throws SQLException, StoreException {
    int applicationId = Transactions.queryInt(connection, "PRAGMA application_id");
    int version = Transactions.queryInt(connection, "PRAGMA user_version");
    if (applicationId != 0 && applicationId != APPLICATION_ID) {
      throw new StoreException(
          String.format(
              "%s belongs to another application (SQLite application_id 0x%08x), not to a"
                  + " Failback controller; point the controller at another file",
              dbFile, applicationId));
    }
    if (version > latestVersion()) {
      throw new StoreException(
          String.format(
              "%s has schema version %d but this controller knows up to %d; upgrade the"
                  + " controller",
              dbFile, version, latestVersion()));
    }
    if (applicationId == 0 && (version != 0 || hasTables(connection))) {
      throw new StoreException(
          String.format(
              "%s is a SQLite database but not a Failback controller database; point the"
                  + " controller at a new or empty file",
              dbFile));
    }
    return version;
  }

  private static boolean hasTables(Connection connection) throws SQLException {
    return Transactions.queryInt(connection, "SELECT count(*) FROM sqlite_master") > 0;
  }
}
