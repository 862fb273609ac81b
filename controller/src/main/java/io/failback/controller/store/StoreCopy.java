package io.failback.controller.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies every row of one store into another, empty one at the same schema version: how an
 * embedded SQLite store moves to PostgreSQL ({@code failback-controller migrate-store}).
 *
 * <p>The target is written in one transaction, so a failure leaves it empty. Rows keep their
 * values, jobs their order of creation and audit events their ids.
 */
public final class StoreCopy {

  /** Tables whose rows are copied in the order of an ever-growing column. */
  private static final Map<String, String> ORDER = Map.of("jobs", "created_at, %s",
      "audit_events", "id");

  private StoreCopy() {}

  /**
   * Copies {@code from} into {@code to}.
   *
   * @return the rows copied per table, in the order copied
   * @throws StoreException if the target holds any row, or a read or write fails
   */
  public static Map<String, Integer> copy(ControllerStore from, ControllerStore to)
      throws StoreException {
    List<String> tables = to.inTransaction("Listing the tables", StoreCopy::tables);
    Map<String, List<Map<String, Object>>> rows = new LinkedHashMap<>();
    from.inTransaction("Reading the source store " + from.describe(), tx -> {
      for (String table : tables) {
        rows.put(table, read(tx, table, from.dialect()));
      }
      return null;
    });
    return to.inTransaction("Writing the target store " + to.describe(), tx -> {
      refuseUnlessEmpty(tx, tables, to.describe());
      Map<String, Integer> copied = new LinkedHashMap<>();
      for (String table : tables) {
        for (Map<String, Object> row : rows.get(table)) {
          insert(tx, table, row, to.dialect());
        }
        copied.put(table, rows.get(table).size());
      }
      if (to.dialect() == Dialect.POSTGRESQL) {
        // Ids were copied as they were; new events continue after the largest.
        try (Statement statement = tx.createStatement()) {
          statement.execute("SELECT setval(pg_get_serial_sequence('audit_events', 'id'),"
              + " coalesce((SELECT max(id) FROM audit_events), 0) + 1, false)");
        }
      }
      return Collections.unmodifiableMap(copied);
    });
  }

  /** The tables to copy: all but Flyway's history, SQLite's own and the lease. */
  private static List<String> tables(Connection tx) throws SQLException {
    List<String> names = new ArrayList<>();
    try (ResultSet rows = tx.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
      while (rows.next()) {
        String name = rows.getString("TABLE_NAME");
        // The lease belongs to the controllers running on the target, not to the copy.
        if (!name.startsWith("sqlite_") && !name.equals(SchemaMigrations.HISTORY_TABLE)
            && !name.equals("controller_lease")
            && (rows.getString("TABLE_SCHEM") == null
                || rows.getString("TABLE_SCHEM").equals(tx.getSchema()))) {
          names.add(name);
        }
      }
    }
    Collections.sort(names);
    return names;
  }

  private static void refuseUnlessEmpty(Connection tx, List<String> tables, String where)
      throws SQLException, StoreException {
    for (String table : tables) {
      if (Transactions.queryInt(tx, "SELECT count(*) FROM " + table) > 0) {
        throw new StoreException(String.format("%s is not empty (table %s has rows); copy into"
            + " a new database only, so that nothing in it is overwritten or mixed", where,
            table));
      }
    }
  }

  private static List<Map<String, Object>> read(Connection tx, String table, Dialect dialect)
      throws SQLException {
    String order = ORDER.getOrDefault(table, "1").formatted(dialect.insertionOrder());
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Statement statement = tx.createStatement();
        ResultSet result = statement.executeQuery(
            "SELECT * FROM " + table + " ORDER BY " + order)) {
      ResultSetMetaData meta = result.getMetaData();
      while (result.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          String column = meta.getColumnName(i).toLowerCase(java.util.Locale.ROOT);
          // The insertion-order column is the target's own to assign.
          if (!column.equals(Dialect.POSTGRESQL.insertionOrder()) || !table.equals("jobs")) {
            row.put(column, result.getObject(i));
          }
        }
        rows.add(row);
      }
    }
    return rows;
  }

  private static void insert(Connection tx, String table, Map<String, Object> row,
      Dialect dialect) throws SQLException {
    boolean keepId = table.equals("audit_events") && dialect == Dialect.POSTGRESQL;
    String sql = "INSERT INTO " + table + " (" + String.join(", ", row.keySet()) + ")"
        + (keepId ? " OVERRIDING SYSTEM VALUE" : "")
        + " VALUES (" + String.join(", ", Collections.nCopies(row.size(), "?")) + ")";
    try (PreparedStatement insert = tx.prepareStatement(sql)) {
      int i = 1;
      for (Object value : row.values()) {
        // SQLite hands small integers back as Integer; PostgreSQL's BIGINT takes a Long.
        insert.setObject(i++, value instanceof Integer n ? Long.valueOf(n) : value);
      }
      insert.executeUpdate();
    }
  }
}
