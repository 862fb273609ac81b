package io.failback.controller.store;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import io.failback.proto.v1.ProtectedItem;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The protected items, one row per VM, each stored whole as a serialized {@link ProtectedItem}.
 *
 * <p>VM ids compare case-insensitively. Every method is one durable transaction; see {@link
 * ControllerStore} for threading. Lifecycle rules live in the caller: this class stores what it
 * is given.
 */
public final class ProtectedItemRecords {

  private static final String INSERT =
      "INSERT INTO protected_items (vm_id, item, state, updated_at) VALUES (?, ?, ?, ?)"
          + " ON CONFLICT DO NOTHING";
  private static final String UPDATE =
      "UPDATE protected_items SET item = ?, state = ?, updated_at = ?"
          + " WHERE lower(vm_id) = lower(?)";
  private static final String SELECT = "SELECT vm_id, item FROM protected_items";

  private final ControllerStore store;

  ProtectedItemRecords(ControllerStore store) {
    this.store = store;
  }

  /**
   * Inserts a new item.
   *
   * @return false, writing nothing, if an item with the same VM id (in any case) exists
   */
  public boolean insert(ProtectedItem item, Instant at) throws StoreException {
    String vmId = checkId(item.getVmId());
    long atMillis = requireNonNull(at, "at").toEpochMilli();
    return store.inTransaction(
        String.format("Recording protected item '%s'", vmId),
        tx -> {
          try (PreparedStatement insert = tx.prepareStatement(INSERT)) {
            insert.setString(1, vmId);
            insert.setBytes(2, item.toByteArray());
            insert.setString(3, item.getState().name());
            insert.setLong(4, atMillis);
            return insert.executeUpdate() == 1;
          }
        });
  }

  /** Returns the item of this VM, if there is one. */
  public Optional<ProtectedItem> get(String vmId) throws StoreException {
    String id = checkId(vmId);
    return store.inTransaction(
        String.format("Reading protected item '%s'", id), tx -> read(tx, id));
  }

  /** Returns every item, sorted by VM id. */
  public List<ProtectedItem> list() throws StoreException {
    return store.inTransaction(
        "Reading the protected items",
        tx -> {
          try (PreparedStatement select =
              tx.prepareStatement(SELECT + " ORDER BY lower(vm_id), vm_id")) {
            return readAll(select);
          }
        });
  }

  /**
   * Reads the item, applies {@code mutation} and writes the result, in one transaction; the
   * mutation's exception rolls it back and is rethrown as is.
   *
   * @return the item as stored afterwards; empty, without calling the mutation, if there is none
   * @throws IllegalArgumentException if the mutation changes the VM id
   */
  public <E extends Exception> Optional<ProtectedItem> update(
      String vmId, Instant at, Mutation<ProtectedItem, E> mutation) throws StoreException, E {
    String id = checkId(vmId);
    long atMillis = requireNonNull(at, "at").toEpochMilli();
    try {
      return store.inTransaction(
          String.format("Updating protected item '%s'", id),
          tx -> {
            Optional<ProtectedItem> current = read(tx, id);
            if (current.isEmpty()) {
              return current;
            }
            ProtectedItem next = Mutations.apply(mutation, current.get());
            if (next != current.get()) {
              checkArgument(
                  next.getVmId().equals(current.get().getVmId()),
                  "the VM id of protected item '%s' cannot change (to '%s')",
                  id,
                  next.getVmId());
              write(tx, next, atMillis);
            }
            return Optional.of(next);
          });
    } catch (Mutations.Refused refused) {
      throw refused.<E>cause();
    }
  }

  private static void write(Connection tx, ProtectedItem item, long atMillis)
      throws SQLException {
    try (PreparedStatement update = tx.prepareStatement(UPDATE)) {
      update.setBytes(1, item.toByteArray());
      update.setString(2, item.getState().name());
      update.setLong(3, atMillis);
      update.setString(4, item.getVmId());
      update.executeUpdate();
    }
  }

  private Optional<ProtectedItem> read(Connection tx, String vmId)
      throws SQLException, StoreException {
    try (PreparedStatement select =
        tx.prepareStatement(SELECT + " WHERE lower(vm_id) = lower(?)")) {
      select.setString(1, vmId);
      return readAll(select).stream().findFirst();
    }
  }

  private List<ProtectedItem> readAll(PreparedStatement select)
      throws SQLException, StoreException {
    List<ProtectedItem> items = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        items.add(parse(rows.getString(1), rows.getBytes(2)));
      }
    }
    return List.copyOf(items);
  }

  private ProtectedItem parse(String vmId, byte[] bytes) throws StoreException {
    try {
      return ProtectedItem.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException(
          String.format(
              "The stored protected item '%s' in %s cannot be parsed (%s); the database is"
                  + " damaged: restore it from a backup",
              vmId, store.describe(), e.getMessage()),
          e);
    }
  }

  private static String checkId(String vmId) {
    requireNonNull(vmId, "vmId");
    checkArgument(!vmId.isBlank(), "VM id is blank");
    return vmId;
  }
}
