package io.failback.controller.store;

/** What differs in SQL between the two stores; everything else is written once for both. */
enum Dialect {
  SQLITE("classpath:db/migration/sqlite", "rowid", "", "",
      "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"),
  POSTGRESQL("classpath:db/migration/postgresql", "seq", " FOR UPDATE", " FOR SHARE",
      "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)");

  private final String migrations;
  private final String insertionOrder;
  private final String forUpdate;
  private final String forShare;
  private final String nowMillis;

  Dialect(String migrations, String insertionOrder, String forUpdate, String forShare,
      String nowMillis) {
    this.nowMillis = nowMillis;
    this.migrations = migrations;
    this.insertionOrder = insertionOrder;
    this.forUpdate = forUpdate;
    this.forShare = forShare;
  }

  /** The database server's current time in milliseconds since the epoch, as SQL. */
  String nowMillis() {
    return nowMillis;
  }

  /** The same as {@link #forUpdate} for a row that is only read: others may read it too. */
  String forShare() {
    return forShare;
  }

  /**
   * What a SELECT ends with to lock its rows until the transaction ends; nothing on SQLite,
   * whose write transactions hold the whole database.
   */
  String forUpdate() {
    return forUpdate;
  }

  /** Where Flyway finds this dialect's migrations. */
  String migrations() {
    return migrations;
  }

  /**
   * A column of {@code jobs} that grows with each insert, to order rows created in the same
   * millisecond: SQLite's implicit rowid, a sequence on PostgreSQL.
   */
  String insertionOrder() {
    return insertionOrder;
  }
}
