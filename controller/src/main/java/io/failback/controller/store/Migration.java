package io.failback.controller.store;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

/**
 * One step of the schema: the SQL that takes a database from {@code version - 1} to
 * {@code version}.
 *
 * <p>A released migration is never edited; a change to the schema is a new migration.
 */
record Migration(int version, String description, String sql) {

  Migration {
    checkArgument(version >= 1, "migration version must be at least 1, got %s", version);
    requireNonNull(description, "description");
    requireNonNull(sql, "sql");
    checkArgument(!sql.isBlank(), "migration %s has no SQL", version);
  }
}
