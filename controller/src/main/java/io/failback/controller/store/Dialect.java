package io.failback.controller.store;

/** What differs in SQL between the two stores; everything else is written once for both. */
enum Dialect {
  SQLITE("classpath:db/migration/sqlite", "rowid"),
  POSTGRESQL("classpath:db/migration/postgresql", "seq");

  private final String migrations;
  private final String insertionOrder;

  Dialect(String migrations, String insertionOrder) {
    this.migrations = migrations;
    this.insertionOrder = insertionOrder;
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
