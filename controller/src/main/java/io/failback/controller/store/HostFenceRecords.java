package io.failback.controller.store;

import static java.util.Objects.requireNonNull;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The hosts an operator fenced: their agents are refused until an operator lifts the fence. */
public final class HostFenceRecords {
  private final ControllerStore store;

  HostFenceRecords(ControllerStore store) {
    this.store = store;
  }

  /** A fence: when, by whom and why. */
  public record Fence(String hostName, Instant fencedAt, String actor, String reason) {}

  /** Fences {@code host}; false, changing nothing, if it is already fenced. */
  public boolean fence(String host, Instant at, String actor, String reason)
      throws StoreException {
    String name = lower(host);
    return store.inTransaction("Fencing host " + name, tx -> {
      try (PreparedStatement insert = tx.prepareStatement("INSERT INTO host_fences (host_name,"
          + " fenced_at, actor, reason) VALUES (?, ?, ?, ?) ON CONFLICT (host_name) DO NOTHING")) {
        insert.setString(1, name);
        insert.setLong(2, at.toEpochMilli());
        insert.setString(3, requireNonNull(actor));
        insert.setString(4, requireNonNull(reason));
        return insert.executeUpdate() == 1;
      }
    });
  }

  /** Lifts the fence of {@code host}; false if it was not fenced. */
  public boolean unfence(String host) throws StoreException {
    String name = lower(host);
    return store.inTransaction("Lifting the fence of host " + name, tx -> {
      try (PreparedStatement delete = tx.prepareStatement(
          "DELETE FROM host_fences WHERE host_name = ?")) {
        delete.setString(1, name);
        return delete.executeUpdate() == 1;
      }
    });
  }

  public Optional<Fence> fence(String host) throws StoreException {
    return fences(lower(host)).stream().findFirst();
  }

  /** Every fence, or that of {@code host} when it is not null. */
  public List<Fence> fences(String host) throws StoreException {
    return store.inTransaction("Reading host fences", tx -> {
      try (PreparedStatement select = tx.prepareStatement("SELECT host_name, fenced_at, actor,"
          + " reason FROM host_fences" + (host == null ? "" : " WHERE host_name = ?")
          + " ORDER BY host_name")) {
        if (host != null) {
          select.setString(1, host);
        }
        List<Fence> found = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            found.add(new Fence(rows.getString(1), Instant.ofEpochMilli(rows.getLong(2)),
                rows.getString(3), rows.getString(4)));
          }
        }
        return found;
      }
    });
  }

  private static String lower(String value) {
    return requireNonNull(value).toLowerCase(Locale.ROOT);
  }
}
