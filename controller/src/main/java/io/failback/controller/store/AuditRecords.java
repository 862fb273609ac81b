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

  /**
   * Which events to list; a null field does not filter.
   *
   * @param since inclusive
   * @param until exclusive
   */
  public record Filter(String target, String actor, Instant since, Instant until) {
    public static final Filter ALL = new Filter(null, null, null, null);
  }

  /** The newest {@code limit} events, newest first, of {@code target} when it is not null. */
  public List<Event> recent(String target, int limit) throws StoreException {
    return recent(new Filter(target, null, null, null), limit);
  }

  /** The newest {@code limit} events that pass {@code filter}, newest first. */
  public List<Event> recent(Filter filter, int limit) throws StoreException {
    List<String> where = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    if (filter.target() != null) {
      where.add("target = ?");
      values.add(filter.target());
    }
    if (filter.actor() != null) {
      where.add("actor = ?");
      values.add(filter.actor());
    }
    if (filter.since() != null) {
      where.add("at >= ?");
      values.add(filter.since().toEpochMilli());
    }
    if (filter.until() != null) {
      where.add("at < ?");
      values.add(filter.until().toEpochMilli());
    }
    String sql = "SELECT id, at, actor, fingerprint, action, target, detail FROM audit_events"
        + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
        + " ORDER BY id DESC LIMIT ?";
    return store.inTransaction("Reading audit events", tx -> {
      try (PreparedStatement select = tx.prepareStatement(sql)) {
        int index = 1;
        for (Object value : values) {
          select.setObject(index++, value);
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
