package io.failback.controller.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings a store's schema to the latest version with Flyway: the SQL files under {@code
 * db/migration/sqlite} and {@code db/migration/postgresql}, with the same version numbers in
 * both so that either store at version N holds the same tables.
 *
 * <p>Before anything is written, a database this build cannot use is refused: one of another
 * application, or one migrated by a newer controller. A SQLite file written before Flyway (its
 * version in {@code PRAGMA user_version}) is adopted at that version.
 */
final class SchemaMigrations {

  /** "FBKC" (Failback controller), as SQLite's {@code application_id}. */
  static final int APPLICATION_ID = 0x46424b43;

  /** Flyway's history table; its own name so that it never mixes with another tool's. */
  static final String HISTORY_TABLE = "failback_schema_history";

  /** The last version of the schema kept in {@code PRAGMA user_version} before Flyway. */
  static final int LAST_PRE_FLYWAY_VERSION = 5;

  private final String where;
  private final Dialect dialect;
  private final DataSource dataSource;
  private final Connection probe;
  private int legacyVersion;
  /** Built once the checks decided whether to baseline: each load scans the migrations. */
  private Flyway flyway;

  private SchemaMigrations(String where, Dialect dialect, DataSource dataSource,
      Connection probe) {
    this.where = where;
    this.dialect = dialect;
    this.dataSource = dataSource;
    this.probe = probe;
  }

  static SchemaMigrations sqlite(Path file, DataSource dataSource, Connection connection) {
    return new SchemaMigrations(file.toString(), Dialect.SQLITE, dataSource, connection);
  }

  static SchemaMigrations postgres(String where, DataSource dataSource, Connection connection) {
    return new SchemaMigrations(where, Dialect.POSTGRESQL, dataSource, connection);
  }

  /**
   * Refuses, without writing anything, a database that this build cannot use: not a
   * database, one of another application, or a schema newer than this build knows.
   */
  void verifyCompatible() throws StoreException, SQLException {
    boolean hasHistory = hasTable(HISTORY_TABLE);
    if (dialect == Dialect.SQLITE) {
      verifySqliteHeader(hasHistory);
    } else if (!hasHistory && hasTables()) {
      throw new StoreException(String.format("%s has tables but no %s table: it is not a"
          + " Failback controller database; point --store at a new, empty database", where,
          HISTORY_TABLE));
    }
    if (hasHistory) {
      refuseFutureVersions();
    }
  }

  /** Applies, in order, every migration the database has not had yet. */
  void migrate() throws StoreException, SQLException {
    try {
      MigrateResult result = flyway().migrate();
      if (dialect == Dialect.SQLITE) {
        // Kept for sqlite3 shells and so that a controller from before Flyway refuses the file
        // as newer instead of misreading it.
        Transactions.execute(probe, "PRAGMA user_version = " + currentVersion());
      }
      if (!result.success) {
        throw new StoreException(String.format("Migrating the schema of %s failed", where));
      }
    } catch (FlywayException e) {
      throw new StoreException(String.format("Migrating the schema of %s failed: %s", where,
          e.getMessage()), e);
    }
  }

  /** The schema version the database is at. */
  int currentVersion() {
    MigrationInfo current = flyway().info().current();
    return current == null ? 0 : Integer.parseInt(current.getVersion().getVersion());
  }

  /** The newest schema version this build knows, among the database's migrations. */
  private static int latestVersion(MigrationInfoService info) {
    return Arrays.stream(info.all())
        .filter(migration -> migration.getState().isResolved())
        .mapToInt(migration -> Integer.parseInt(migration.getVersion().getVersion()))
        .max().orElse(0);
  }

  private Flyway flyway() {
    if (flyway != null) {
      return flyway;
    }
    var configuration = Flyway.configure(SchemaMigrations.class.getClassLoader())
        .dataSource(dataSource)
        .locations(dialect.migrations())
        .table(HISTORY_TABLE)
        .cleanDisabled(true)
        .loggers("slf4j");
    if (legacyVersion > 0) {
      configuration.baselineOnMigrate(true)
          .baselineVersion(String.valueOf(legacyVersion))
          .baselineDescription("schema created before Flyway (PRAGMA user_version)");
    }
    flyway = configuration.load();
    return flyway;
  }

  private void verifySqliteHeader(boolean hasHistory) throws StoreException, SQLException {
    int applicationId = Transactions.queryInt(probe, "PRAGMA application_id");
    int userVersion = Transactions.queryInt(probe, "PRAGMA user_version");
    if (applicationId != 0 && applicationId != APPLICATION_ID) {
      throw new StoreException(String.format("%s belongs to another application (SQLite"
          + " application_id 0x%08x), not to a Failback controller; point the controller at"
          + " another file", where, applicationId));
    }
    if (applicationId == 0 && (userVersion != 0 || hasTables())) {
      throw new StoreException(String.format("%s is a SQLite database but not a Failback"
          + " controller database; point the controller at a new or empty file", where));
    }
    if (!hasHistory && userVersion > LAST_PRE_FLYWAY_VERSION) {
      throw newer(userVersion, latestVersion(flyway().info()));
    }
    if (!hasHistory && userVersion > 0) {
      legacyVersion = userVersion;
    }
    if (applicationId == 0) {
      Transactions.execute(probe, "PRAGMA application_id = " + APPLICATION_ID);
    }
  }

  private void refuseFutureVersions() throws StoreException {
    MigrationInfoService info = flyway().info();
    int latest = latestVersion(info);
    int applied = Arrays.stream(info.applied())
        .filter(migration -> migration.getVersion() != null)
        .mapToInt(migration -> Integer.parseInt(migration.getVersion().getVersion()))
        .max().orElse(0);
    if (applied > latest) {
      throw newer(applied, latest);
    }
  }

  private StoreException newer(int version, int latest) {
    return new StoreException(String.format("%s has schema version %d but this controller"
        + " knows up to %d; upgrade the controller", where, version, latest));
  }

  private boolean hasTable(String name) throws SQLException {
    String sql = dialect == Dialect.SQLITE
        ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "'"
        : "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
            + " AND table_name = '" + name + "'";
    return Transactions.queryInt(probe, sql) > 0;
  }

  private boolean hasTables() throws SQLException {
    String sql = dialect == Dialect.SQLITE
        ? "SELECT count(*) FROM sqlite_master"
        : "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()";
    return Transactions.queryInt(probe, sql) > 0;
  }
}
