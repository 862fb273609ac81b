package io.failback.controller.store;

import static java.util.Objects.requireNonNull;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which host owns each VM id, and the conflicts where another host reports an owned id.
 *
 * <p>The first host to report an id owns it; a later report from another host never takes it
 * over (a compromised host could otherwise have another host's VM read into the cloud or the
 * cloud copy sent to itself). Ids and host names are stored in lower case.
 */
public final class VmOwnerRecords {
  private static final String CLAIM = "INSERT INTO vm_owners (vm_id, host_name, claimed_at)"
      + " VALUES (?, ?, ?) ON CONFLICT (vm_id) DO NOTHING";
  private static final String OWNER = "SELECT host_name FROM vm_owners WHERE vm_id = ?";
  private static final String CONFLICT = """
      INSERT INTO vm_conflicts (vm_id, host_name, vm_name, first_seen, last_seen)
          VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (vm_id, host_name) DO UPDATE SET
          vm_name = excluded.vm_name, last_seen = excluded.last_seen
      """;
  private static final String CONFLICTS = """
      SELECT c.vm_id, c.host_name, c.vm_name, o.host_name, c.first_seen, c.last_seen
          FROM vm_conflicts c JOIN vm_owners o ON o.vm_id = c.vm_id
      """;

  private final ControllerStore store;

  VmOwnerRecords(ControllerStore store) {
    this.store = store;
  }

  /** A VM a host reports: its id and name. */
  public record Report(String vmId, String vmName) {}

  /** A VM id a host reports although another host owns it. */
  public record Conflict(String vmId, String hostName, String vmName, String ownerHost,
      Instant firstSeen, Instant lastSeen) {}

  /**
   * The result of one host's report.
   *
   * @param conflicts the reported ids another host owns, each with its owner
   * @param newConflicts those of them not reported by this host before
   */
  public record Claims(Map<String, String> conflicts, Set<String> newConflicts) {}

  /**
   * Claims every unowned id of {@code reports} for {@code host}, records a conflict for every
   * id another host owns, and forgets this host's conflicts it no longer reports.
   */
  public Claims claim(String host, List<Report> reports, Instant at) throws StoreException {
    String name = lower(host);
    long millis = at.toEpochMilli();
    return store.inTransaction("Recording the VMs host '" + name + "' reports", tx -> {
      Map<String, String> conflicts = new LinkedHashMap<>();
      Set<String> fresh = new HashSet<>();
      Set<String> before = new HashSet<>();
      try (PreparedStatement select = tx.prepareStatement(
          "SELECT vm_id FROM vm_conflicts WHERE host_name = ?")) {
        select.setString(1, name);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            before.add(rows.getString(1));
          }
        }
      }
      for (Report report : reports) {
        String vmId = lower(report.vmId());
        try (PreparedStatement claim = tx.prepareStatement(CLAIM)) {
          claim.setString(1, vmId);
          claim.setString(2, name);
          claim.setLong(3, millis);
          claim.executeUpdate();
        }
        String owner = owner(tx, vmId).orElseThrow();
        if (owner.equals(name)) {
          continue;
        }
        conflicts.put(vmId, owner);
        if (!before.contains(vmId)) {
          fresh.add(vmId);
        }
        try (PreparedStatement conflict = tx.prepareStatement(CONFLICT)) {
          conflict.setString(1, vmId);
          conflict.setString(2, name);
          conflict.setString(3, report.vmName());
          conflict.setLong(4, millis);
          conflict.setLong(5, millis);
          conflict.executeUpdate();
        }
      }
      before.removeAll(conflicts.keySet());
      for (String gone : before) {
        deleteConflict(tx, gone, name);
      }
      return new Claims(conflicts, fresh);
    });
  }

  /**
   * Claims {@code vmId} for {@code host} unless it is owned: for VMs known before ownership was
   * recorded (a protected item's on-prem VM at start-up).
   */
  public void adopt(String vmId, String host, Instant at) throws StoreException {
    store.inTransaction("Recording the owner of VM " + lower(vmId), tx -> {
      try (PreparedStatement claim = tx.prepareStatement(CLAIM)) {
        claim.setString(1, lower(vmId));
        claim.setString(2, lower(host));
        claim.setLong(3, at.toEpochMilli());
        claim.executeUpdate();
      }
      return null;
    });
  }

  /** The host that owns {@code vmId}, if any host reported it. */
  public Optional<String> owner(String vmId) throws StoreException {
    String id = lower(vmId);
    return store.inTransaction("Reading the owner of VM " + id, tx -> owner(tx, id));
  }

  /** Makes {@code host} the owner of {@code vmId}: an operator's move, or a failback's. */
  public void move(String vmId, String host, Instant at) throws StoreException {
    String id = lower(vmId);
    String name = lower(host);
    store.inTransaction("Moving VM " + id + " to host " + name, tx -> {
      try (PreparedStatement upsert = tx.prepareStatement("INSERT INTO vm_owners (vm_id,"
          + " host_name, claimed_at) VALUES (?, ?, ?) ON CONFLICT (vm_id) DO UPDATE SET"
          + " host_name = excluded.host_name, claimed_at = excluded.claimed_at")) {
        upsert.setString(1, id);
        upsert.setString(2, name);
        upsert.setLong(3, at.toEpochMilli());
        upsert.executeUpdate();
      }
      deleteConflict(tx, id, name);
      return null;
    });
  }

  /** Every conflict, or those reported by {@code host} when it is not null. */
  public List<Conflict> conflicts(String host) throws StoreException {
    return store.inTransaction("Reading VM conflicts", tx -> {
      String sql = CONFLICTS + (host == null ? "" : " WHERE c.host_name = ?")
          + " ORDER BY c.host_name, c.vm_id";
      try (PreparedStatement select = tx.prepareStatement(sql)) {
        if (host != null) {
          select.setString(1, lower(host));
        }
        List<Conflict> found = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            found.add(new Conflict(rows.getString(1), rows.getString(2), rows.getString(3),
                rows.getString(4), Instant.ofEpochMilli(rows.getLong(5)),
                Instant.ofEpochMilli(rows.getLong(6))));
          }
        }
        return found;
      }
    });
  }

  /** How many VM ids {@code host} owns. */
  public int ownedCount(String host) throws StoreException {
    return store.inTransaction("Counting the VMs of host " + lower(host), tx -> {
      try (PreparedStatement count = tx.prepareStatement(
          "SELECT COUNT(*) FROM vm_owners WHERE host_name = ?")) {
        count.setString(1, lower(host));
        try (ResultSet rows = count.executeQuery()) {
          rows.next();
          return rows.getInt(1);
        }
      }
    });
  }

  /**
   * Releases the ids {@code host} owns beyond {@code max}, the first claimed first, never one
   * of {@code keep} (lower case); returns how many it released.
   */
  public int release(String host, Set<String> keep, int max) throws StoreException {
    String name = lower(host);
    return store.inTransaction("Releasing VMs of host " + name, tx -> {
      List<String> owned = new ArrayList<>();
      try (PreparedStatement select = tx.prepareStatement("SELECT vm_id FROM vm_owners"
          + " WHERE host_name = ? ORDER BY claimed_at, vm_id")) {
        select.setString(1, name);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            owned.add(rows.getString(1));
          }
        }
      }
      int released = 0;
      for (int i = 0; i < owned.size() && owned.size() - released > max; i++) {
        if (keep.contains(owned.get(i))) {
          continue;
        }
        try (PreparedStatement delete = tx.prepareStatement(
            "DELETE FROM vm_owners WHERE vm_id = ? AND host_name = ?")) {
          delete.setString(1, owned.get(i));
          delete.setString(2, name);
          released += delete.executeUpdate();
        }
      }
      return released;
    });
  }

  /** The VM ids {@code host} owns. */
  public List<String> ownedBy(String host) throws StoreException {
    return store.inTransaction("Reading the VMs of host " + lower(host), tx -> {
      try (PreparedStatement select = tx.prepareStatement(
          "SELECT vm_id FROM vm_owners WHERE host_name = ? ORDER BY vm_id")) {
        select.setString(1, lower(host));
        List<String> ids = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            ids.add(rows.getString(1));
          }
        }
        return ids;
      }
    });
  }

  private static Optional<String> owner(java.sql.Connection tx, String vmId)
      throws SQLException {
    try (PreparedStatement select = tx.prepareStatement(OWNER)) {
      select.setString(1, vmId);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
      }
    }
  }

  private static void deleteConflict(java.sql.Connection tx, String vmId, String host)
      throws SQLException {
    try (PreparedStatement delete = tx.prepareStatement(
        "DELETE FROM vm_conflicts WHERE vm_id = ? AND host_name = ?")) {
      delete.setString(1, vmId);
      delete.setString(2, host);
      delete.executeUpdate();
    }
  }

  private static String lower(String value) {
    return requireNonNull(value).toLowerCase(Locale.ROOT);
  }
}
