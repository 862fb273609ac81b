package io.failback.controller.store;

import static java.util.Objects.requireNonNull;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bandwidth limits operators set at run time, by scope: global, a host or a job. The
 * controller's configuration and recovery plans hold their own; these outlive a restart and
 * reach a standby that takes over.
 */
public final class BandwidthRecords {
  /** What a limit applies to. */
  public enum Scope {
    GLOBAL, HOST, JOB;

    String column() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A stored limit: the operator's schedule text, who set it and when. */
  public record Limit(Scope scope, String name, String schedule, String setBy,
      Instant updatedAt) {}

  private static final String UPSERT =
      """
      INSERT INTO bandwidth_limits (scope, name, schedule, set_by, updated_at)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (scope, name) DO UPDATE SET
          schedule = excluded.schedule,
          set_by = excluded.set_by,
          updated_at = excluded.updated_at
      """;

  private final ControllerStore store;

  BandwidthRecords(ControllerStore store) {
    this.store = store;
  }

  /** Sets the limit of {@code scope}/{@code name} ("" for global), replacing any. */
  public void put(Limit limit) throws StoreException {
    String name = nameOf(limit.scope(), limit.name());
    store.inTransaction(String.format("Setting the bandwidth limit of %s '%s'",
        limit.scope().column(), name), tx -> {
          try (PreparedStatement upsert = tx.prepareStatement(UPSERT)) {
            upsert.setString(1, limit.scope().column());
            upsert.setString(2, name);
            upsert.setString(3, requireNonNull(limit.schedule()));
            upsert.setString(4, requireNonNull(limit.setBy()));
            upsert.setLong(5, limit.updatedAt().toEpochMilli());
            return upsert.executeUpdate();
          }
        });
  }

  /** Removes the limit of {@code scope}/{@code name}; false if there was none. */
  public boolean remove(Scope scope, String name) throws StoreException {
    String key = nameOf(scope, name);
    return store.inTransaction(String.format("Removing the bandwidth limit of %s '%s'",
        scope.column(), key), tx -> {
          try (PreparedStatement delete = tx.prepareStatement(
              "DELETE FROM bandwidth_limits WHERE scope = ? AND name = ?")) {
            delete.setString(1, scope.column());
            delete.setString(2, key);
            return delete.executeUpdate() == 1;
          }
        });
  }

  /** Every stored limit, global first, then hosts and jobs by name. */
  public List<Limit> all() throws StoreException {
    return store.inTransaction("Reading bandwidth limits", tx -> {
      try (PreparedStatement select = tx.prepareStatement("SELECT scope, name, schedule, set_by,"
          + " updated_at FROM bandwidth_limits ORDER BY scope, name")) {
        List<Limit> found = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            found.add(new Limit(Scope.valueOf(rows.getString(1).toUpperCase(Locale.ROOT)),
                rows.getString(2), rows.getString(3), rows.getString(4),
                Instant.ofEpochMilli(rows.getLong(5))));
          }
        }
        return found;
      }
    });
  }

  private static String nameOf(Scope scope, String name) {
    String lower = requireNonNull(name).toLowerCase(Locale.ROOT);
    if ((scope == Scope.GLOBAL) != lower.isEmpty()) {
      throw new IllegalArgumentException(scope == Scope.GLOBAL
          ? "the global bandwidth limit has no name" : "a " + scope.column()
              + " bandwidth limit needs the " + scope.column() + "'s name");
    }
    return lower;
  }
}
