package io.failback.controller.store;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import io.failback.proto.v1.HostInventory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The hosts whose agents have registered, each with the inventory of its latest registration.
 *
 * <p>Host names compare case-insensitively and are stored in lower case. Times are kept to the
 * millisecond. Every method is one durable transaction; see {@link ControllerStore} for
 * threading.
 */
public final class HostRecords {

  // An upsert, not INSERT OR REPLACE: replacing deletes the row, which would cascade to the
  // rows that reference a host once protected items and jobs exist.
  private static final String UPSERT =
      """
      INSERT INTO hosts
          (name, inventory, registered_at, last_seen, remote_address, agent_instance_id)
          VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET
          inventory = excluded.inventory,
          registered_at = excluded.registered_at,
          last_seen = CASE WHEN excluded.last_seen > hosts.last_seen
              THEN excluded.last_seen ELSE hosts.last_seen END,
          remote_address = excluded.remote_address,
          agent_instance_id = excluded.agent_instance_id
      """;

  // The larger time wins: heartbeats handled on several threads may arrive here out of order.
  private static final String HEARTBEAT =
      "UPDATE hosts SET last_seen = CASE WHEN :at > last_seen THEN :at ELSE last_seen END"
          + " WHERE name = :name";

  private static final String SELECT =
      "SELECT name, inventory, registered_at, last_seen, remote_address, agent_instance_id"
          + " FROM hosts";

  private final ControllerStore store;

  HostRecords(ControllerStore store) {
    this.store = store;
  }

  /**
   * Records a registration: the inventory, remote address and agent instance replace the
   * previous ones whole, {@code registeredAt} becomes {@code at}, and so does {@code lastSeen}
   * unless it is already later.
   */
  public void recordRegistration(
      String hostName,
      HostInventory inventory,
      String remoteAddress,
      String agentInstanceId,
      Instant at)
      throws StoreException {
    String name = normalize(hostName);
    byte[] inventoryBytes = requireNonNull(inventory, "inventory").toByteArray();
    requireNonNull(remoteAddress, "remoteAddress");
    requireNonNull(agentInstanceId, "agentInstanceId");
    long atMillis = requireNonNull(at, "at").toEpochMilli();
    store.inTransaction(
        String.format("Recording the registration of host '%s'", name),
        tx -> {
          try (PreparedStatement upsert = tx.prepareStatement(UPSERT)) {
            upsert.setString(1, name);
            upsert.setBytes(2, inventoryBytes);
            upsert.setLong(3, atMillis);
            upsert.setLong(4, atMillis);
            upsert.setString(5, remoteAddress);
            upsert.setString(6, agentInstanceId);
            upsert.executeUpdate();
          }
          return null;
        });
  }

  /**
   * Records a heartbeat: {@code lastSeen} becomes {@code at} unless it is already later.
   *
   * @throws StoreException if the host has not registered
   */
  public void recordHeartbeat(String hostName, Instant at) throws StoreException {
    String name = normalize(hostName);
    long atMillis = requireNonNull(at, "at").toEpochMilli();
    store.inHandle(
        String.format("Recording a heartbeat of host '%s'", name),
        handle -> {
          if (handle.createUpdate(HEARTBEAT).bind("at", atMillis).bind("name", name)
              .execute() == 0) {
            throw new StoreException(String.format("Host '%s' is not registered in %s; its"
                + " agent must register before it sends heartbeats", name, store.describe()));
          }
          return null;
        });
  }

  /**
   * Forgets {@code hostName}: its row, the VMs it owns and the conflicts it or its VMs are in,
   * so that it registers afresh if its agent comes back (a fence, kept apart, keeps it out).
   *
   * @return false, changing nothing, if the host is not known
   */
  public boolean forget(String hostName) throws StoreException {
    String name = normalize(hostName);
    return store.inTransaction(
        String.format("Forgetting host '%s'", name),
        tx -> {
          for (String sql : new String[] {
              "DELETE FROM vm_conflicts WHERE host_name = ?",
              "DELETE FROM vm_conflicts WHERE vm_id IN"
                  + " (SELECT vm_id FROM vm_owners WHERE host_name = ?)",
              "DELETE FROM vm_owners WHERE host_name = ?"}) {
            try (PreparedStatement delete = tx.prepareStatement(sql)) {
              delete.setString(1, name);
              delete.executeUpdate();
            }
          }
          try (PreparedStatement delete = tx.prepareStatement("DELETE FROM hosts WHERE name = ?")) {
            delete.setString(1, name);
            return delete.executeUpdate() == 1;
          }
        });
  }

  /** Returns the host with this name, in any case, if it has registered. */
  public Optional<StoredHost> host(String hostName) throws StoreException {
    String name = normalize(hostName);
    List<StoredHost> found =
        store.inTransaction(
            String.format("Reading host '%s'", name),
            tx -> {
              try (PreparedStatement select = tx.prepareStatement(SELECT + " WHERE name = ?")) {
                select.setString(1, name);
                return readAll(select);
              }
            });
    return found.stream().findFirst();
  }

  /** Returns every registered host, sorted by name. */
  public List<StoredHost> hosts() throws StoreException {
    return store.inTransaction(
        "Reading the hosts",
        tx -> {
          try (PreparedStatement select = tx.prepareStatement(SELECT + " ORDER BY name")) {
            return readAll(select);
          }
        });
  }

  private List<StoredHost> readAll(PreparedStatement select) throws SQLException, StoreException {
    List<StoredHost> hosts = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        String name = rows.getString(1);
        hosts.add(
            new StoredHost(
                name,
                parseInventory(name, rows.getBytes(2)),
                Instant.ofEpochMilli(rows.getLong(3)),
                Instant.ofEpochMilli(rows.getLong(4)),
                rows.getString(5),
                rows.getString(6)));
      }
    }
    return List.copyOf(hosts);
  }

  private HostInventory parseInventory(String name, byte[] bytes) throws StoreException {
    try {
      return HostInventory.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException(
          String.format(
              "The stored inventory of host '%s' in %s cannot be parsed (%s); the database is"
                  + " damaged: restore it from a backup",
              name, store.describe(), e.getMessage()),
          e);
    }
  }

  // Locale.ROOT: a Turkish default locale would lower-case "I" to a dotless "ı".
  private static String normalize(String hostName) {
    requireNonNull(hostName, "hostName");
    checkArgument(!hostName.isBlank(), "host name is blank");
    return hostName.toLowerCase(Locale.ROOT);
  }
}
