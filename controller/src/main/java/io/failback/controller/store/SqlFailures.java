package io.failback.controller.store;

import java.nio.file.Path;
import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;

/** Turns database errors into {@link StoreException}s that tell an operator what to do. */
final class SqlFailures {

  private SqlFailures() {}

  /**
   * Describes a failed action, such as "Recording the registration of host 'hv01'", on the
   * database file, with SQLite's own words and a hint for the primary result code.
   */
  static StoreException sqlite(Path dbFile, String action, SQLException e) {
    return new StoreException(String.format("%s in %s failed: %s%s", action, dbFile,
        e.getMessage(), sqliteHint(e)), e);
  }

  /** The same for a PostgreSQL database, with a hint chosen by the SQLSTATE class. */
  static StoreException postgres(String where, String action, SQLException e) {
    return new StoreException(String.format("%s in %s failed: %s%s", action, where,
        e.getMessage(), postgresHint(e.getSQLState())), e);
  }

  private static String sqliteHint(SQLException e) {
    // SQLiteException keeps the primary result code (extended code & 0xff) as its error code.
    SQLiteErrorCode code = SQLiteErrorCode.getErrorCode(e.getErrorCode());
    switch (code) {
      case SQLITE_NOTADB:
        return "; the file is not a SQLite database (or is encrypted): point the controller at"
            + " another file, or move this one away if it holds nothing you need";
      case SQLITE_CORRUPT:
        return "; the database is damaged: restore it from a backup";
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return "; another process held the database lock for more than "
            + SqliteDatabase.BUSY_TIMEOUT.toSeconds()
            + " s: is a second controller using the same file?";
      case SQLITE_FULL:
        return "; the disk is full: free space, then retry";
      case SQLITE_READONLY:
      case SQLITE_PERM:
      case SQLITE_CANTOPEN:
      case SQLITE_AUTH:
        return "; check that the file and its folder are writable by the controller's user";
      case SQLITE_IOERR:
        return "; the storage reported an I/O error: check the disk";
      default:
        return "";
    }
  }

  private static String postgresHint(String sqlState) {
    if (sqlState == null || sqlState.length() < 2) {
      return "";
    }
    if (sqlState.startsWith("08")) {
      return "; the server cannot be reached: check its host, port and TLS settings, the"
          + " network, and that PostgreSQL runs";
    }
    if (sqlState.startsWith("28")) {
      return "; the server refused the login: check the user in --store and the password in"
          + " --store-password-file or FAILBACK_STORE_PASSWORD";
    }
    return switch (sqlState) {
      case "3D000" -> "; the database does not exist: create it (createdb) and retry";
      case "42501" -> "; the role lacks a privilege: grant it CREATE and USAGE on the schema";
      case "40001", "40P01" -> "; another transaction kept conflicting with this one: is a"
          + " second active controller writing to the same database?";
      case "53100" -> "; the database server's disk is full: free space, then retry";
      case "57P01", "57P02", "57P03" -> "; the server is shutting down or starting: retry";
      case "XX001", "XX002" -> "; the database is damaged: restore it from a backup";
      default -> "";
    };
  }
}
