package io.failback.controller.store;

import java.nio.file.Path;
import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;

/** Turns SQLite errors into {@link StoreException}s that tell an operator what to do. */
final class SqlFailures {

  private SqlFailures() {}

  /**
   * Describes a failed action, such as "Recording the registration of host 'hv01'", on the
   * database file, with SQLite's own words and a hint for the primary result code.
   */
  static StoreException of(Path dbFile, String action, SQLException e) {
    return new StoreException(
        String.format("%s in %s failed: %s%s", action, dbFile, e.getMessage(), hint(e)), e);
  }

  private static String hint(SQLException e) {
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
            + ControllerStore.BUSY_TIMEOUT.toSeconds()
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
}
