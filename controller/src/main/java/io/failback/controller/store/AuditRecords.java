package io.failback.controller.store;

import static java.util.Objects.requireNonNull;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit trail: one row per change an operator (or the controller, on an agent's report)
 * made, append-only. The table refuses updates and deletes itself (triggers), so no code path
 * can rewrite history.
 */
public final class AuditRecords {
  private final ControllerStore store;

  AuditRecords(ControllerStore store) {
    this.store = store;
  }

  /**
   * One audited change.
   *
   * @param actor the SPIFFE id of the caller, or "controller" for what the controller decided
   * @param fingerprint the SHA-256 of the caller's certificate, hex; empty for the controller
   * @param action what was done, e.g. {@code host.fence}
   * @param target what it was done to, e.g. {@code host/hv-01} or {@code vm/<id>}
   * @param detail the options and the outcome, bounded by the caller
   */
  public record Event(long id, Instant at, String actor, String fingerprint, String action,
      String target, String detail) {}

  public void append(Instant at, String actor, String fingerprint, String action,
      String target, String detail) throws StoreException {
    store.inTransaction("Recording audit event " + action, tx -> {
      try (PreparedStatement insert = tx.prepareStatement("INSERT INTO audit_events (at, actor,"
          + " fingerprint, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)")) {
        insert.setLong(1, at.toEpochMilli());
        insert.setString(2, requireNonNull(actor));
        insert.setString(3, requireNonNull(fingerprint));
        insert.setString(4, requireNonNull(action));
        insert.setString(5, requireNonNull(target));
        insert.setString(6, requireNonNull(detail));
        insert.executeUpdate();
      }
      return null;
    });
  }

  /** The newest {@code limit} events, newest first, of {@code target} when it is not null. */
  public List<Event> recent(String target, int limit) throws StoreException {
    return store.inTransaction("Reading audit events", tx -> {
      try (PreparedStatement select = tx.prepareStatement("SELECT id, at, actor, fingerprint,"
          + " action, target, detail FROM audit_events"
          + (target == null ? "" : " WHERE target = ?") + " ORDER BY id DESC LIMIT ?")) {
        int index = 1;
        if (target != null) {
          select.setString(index++, target);
        }
        select.setInt(index, limit);
        List<Event> events = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            events.add(new Event(rows.getLong(1), Instant.ofEpochMilli(rows.getLong(2)),
                rows.getString(3), rows.getString(4), rows.getString(5), rows.getString(6),
                rows.getString(7)));
          }
        }
        return events;
      }
    });
  }
}
