package io.failback.controller.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded store: one SQLite file in WAL mode with {@code synchronous=FULL}, so a call
 * that returned has reached stable storage and survives a crash or power loss.
 *
 * <p>One connection serves every call (the caller serializes them). Other processes (an
 * operator's {@code sqlite3} shell) may read the file meanwhile; a writer waits up to {@link
 * #BUSY_TIMEOUT} for another process's lock.
 */
final class SqliteDatabase implements Database {

  /** How long a call waits for a lock held by another process before it fails. */
  static final Duration BUSY_TIMEOUT = Duration.ofSeconds(10);

  private final Path file;
  private final Connection connection;
  private final Jdbi jdbi;

  private SqliteDatabase(Path file, Connection connection) {
    this.file = file;
    this.connection = connection;
    // Handles borrow the one connection and must not close it.
    this.jdbi = Jdbi.create(new org.jdbi.v3.core.ConnectionFactory() {
      @Override
      public Connection openConnection() {
        return connection;
      }

      @Override
      public void closeConnection(Connection conn) {}
    });
  }

  /**
   * Opens the file, creating it and its parent folders if missing, and brings its schema to
   * the latest version. A file this build cannot use (not a database, another application's
   * database, a newer schema) is refused before anything is written to it.
   */
  static SqliteDatabase open(StoreLocation.SqliteFile location) throws StoreException {
    Path file = location.file();
    createParentFolders(file);
    Connection connection = connect(file);
    try {
      Transactions.execute(connection, "PRAGMA foreign_keys = ON");
      Transactions.execute(connection, "PRAGMA synchronous = FULL");
      SchemaMigrations migrations = SchemaMigrations.sqlite(file, dataSource(file), connection);
      migrations.verifyCompatible();
      enableWal(file, connection);
      migrations.migrate();
      return new SqliteDatabase(file, connection);
    } catch (SQLException e) {
      closeQuietly(connection, e);
      throw SqlFailures.sqlite(file, "Opening the database", e);
    } catch (StoreException | RuntimeException e) {
      closeQuietly(connection, e);
      throw e;
    }
  }

  @Override
  public Dialect dialect() {
    return Dialect.SQLITE;
  }

  @Override
  public String describe() {
    return file.toString();
  }

  @Override
  public <T> T inTransaction(Work<T> work) throws SQLException, StoreException {
    return Transactions.run(connection, tx -> {
      try (Handle handle = jdbi.open()) {
        return work.run(handle);
      }
    });
  }

  @Override
  public StoreException failure(String action, SQLException e) {
    return SqlFailures.sqlite(file, action, e);
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }

  private static SQLiteDataSource dataSource(Path file) {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
    SQLiteDataSource dataSource = new SQLiteDataSource(config);
    dataSource.setUrl("jdbc:sqlite:" + file);
    return dataSource;
  }

  private static void createParentFolders(Path file) throws StoreException {
    Path parent = file.getParent();
    if (parent == null) {
      return;
    }
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new StoreException(String.format("Cannot create the folder %s for the controller"
          + " database: %s; create it or choose another location", parent, e), e);
    }
  }

  private static Connection connect(Path file) throws StoreException {
    try {
      return dataSource(file).getConnection();
    } catch (SQLException e) {
      throw SqlFailures.sqlite(file, "Opening the database", e);
    }
  }

  private static void enableWal(Path file, Connection connection) throws StoreException {
    String mode;
    try {
      mode = Transactions.queryString(connection, "PRAGMA journal_mode = WAL");
    } catch (SQLException e) {
      throw SqlFailures.sqlite(file, "Switching the database to WAL mode", e);
    }
    // SQLite answers with the mode in force, which is not WAL where WAL is unsupported.
    if (!"wal".equals(mode.toLowerCase(Locale.ROOT))) {
      throw new StoreException(String.format("%s could not be switched to WAL journal mode (it"
          + " stays in %s mode); keep the controller database on a local disk, not a network"
          + " share", file, mode));
    }
  }

  private static void closeQuietly(Connection connection, Exception cause) {
    try {
      connection.close();
    } catch (SQLException closeFailure) {
      cause.addSuppressed(closeFailure);
    }
  }
}
