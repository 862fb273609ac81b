package io.failback.controller.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Runs work in explicit SQLite transactions on a connection left in auto-commit mode. */
final class Transactions {

  /** Work done inside one transaction. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection connection) throws SQLException, StoreException;
  }

  private Transactions() {}

  /**
   * Runs {@code work} in one transaction, commits it if the work returns and rolls it back if
   * it throws.
   *
   * <p>{@code BEGIN IMMEDIATE} takes the write lock up front: a deferred transaction that reads
   * first and writes later can fail with {@code SQLITE_BUSY} when another process wrote in
   * between, and the busy timeout cannot help it. With {@code synchronous=FULL} the commit has
   * reached stable storage when this method returns.
   */
  static <T> T run(Connection connection, Work<T> work) throws SQLException, StoreException {
    execute(connection, "BEGIN IMMEDIATE");
    try {
      T result = work.run(connection);
      execute(connection, "COMMIT");
      return result;
    } catch (Throwable t) {
      try {
        execute(connection, "ROLLBACK");
      } catch (SQLException rollbackFailure) {
        // A failed COMMIT may already have rolled back; the first failure is the one to report.
        t.addSuppressed(rollbackFailure);
      }
      throw t;
    }
  }

  /** Executes one or more SQL statements that return no rows. */
  static void execute(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.executeUpdate(sql);
    }
  }

  /** Returns the first column of the first row of a query, such as a {@code PRAGMA}. */
  static String queryString(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      if (!rows.next()) {
        throw new SQLException("no row returned by: " + sql);
      }
      return rows.getString(1);
    }
  }

  /** Returns the first column of the first row of a query as an int. */
  static int queryInt(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      if (!rows.next()) {
        throw new SQLException("no row returned by: " + sql);
      }
      return rows.getInt(1);
    }
  }
}
