package io.failback.controller.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The databases store tests run against: SQLite files, and databases on one real PostgreSQL
 * server (the official binaries, from Maven Central) started once per test JVM.
 */
public final class TestDatabases {

  /** The two stores. */
  public enum Backend { SQLITE, POSTGRESQL }

  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres server; // guarded by TestDatabases.class

  private TestDatabases() {}

  /** A new, empty store location of {@code backend}; SQLite files go in {@code dir}. */
  public static StoreLocation newLocation(Backend backend, Path dir) throws SQLException {
    return backend == Backend.SQLITE
        ? new StoreLocation.SqliteFile(dir.resolve("controller.db"))
        : newPostgresDatabase();
  }

  /** A new, empty database on the shared server, reached as its superuser. */
  public static StoreLocation.Postgres newPostgresDatabase() throws SQLException {
    String name = "failback_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection admin = server().getPostgresDatabase().getConnection();
        Statement statement = admin.createStatement()) {
      statement.executeUpdate("CREATE DATABASE " + name);
    }
    return new StoreLocation.Postgres("localhost", server().getPort(), name, "postgres", null,
        Map.of());
  }

  /** The shared server, started on first use and stopped when the JVM exits. */
  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException("starting the test PostgreSQL server", e);
      }
      EmbeddedPostgres started = server;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.close();
        } catch (IOException ignored) {
          // The JVM is exiting; the server's folder is temporary.
        }
      }));
    }
    return server;
  }

  /** A plain JDBC connection beside the store, to prepare and inspect databases. */
  public static Connection connect(StoreLocation location) throws SQLException {
    if (location instanceof StoreLocation.Postgres postgres) {
      return DriverManager.getConnection(postgres.jdbcUrl(), postgres.driverProperties());
    }
    return DriverManager.getConnection(
        "jdbc:sqlite:" + ((StoreLocation.SqliteFile) location).file());
  }

  /** Runs statements that return no rows. */
  public static void execute(StoreLocation location, String sql) throws SQLException {
    try (Connection connection = connect(location);
        Statement statement = connection.createStatement()) {
      statement.executeUpdate(sql);
    }
  }

  /** The first column of the first row of {@code sql}, as text. */
  public static String queryString(StoreLocation location, String sql) throws SQLException {
    try (Connection connection = connect(location);
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      if (!rows.next()) {
        throw new SQLException("no row returned by: " + sql);
      }
      return rows.getString(1);
    }
  }
}
