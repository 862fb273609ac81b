package io.failback.controller.store;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import io.failback.proto.v1.RecoveryPlan;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The recovery plans, one row per plan, each stored whole as a serialized {@link RecoveryPlan}.
 *
 * <p>Plan names compare case-insensitively. Every method is one durable transaction; see {@link
 * ControllerStore} for threading. Validation lives in the caller: this class stores what it is
 * given.
 */
public final class RecoveryPlanRecords {

  private static final String INSERT =
      "INSERT INTO recovery_plans (name, plan, created_at, updated_at) VALUES (?, ?, ?, ?)"
          + " ON CONFLICT DO NOTHING";
  private static final String UPDATE =
      "UPDATE recovery_plans SET plan = ?, updated_at = ? WHERE lower(name) = lower(?)";
  private static final String DELETE =
      "DELETE FROM recovery_plans WHERE lower(name) = lower(?)";
  private static final String SELECT = "SELECT name, plan FROM recovery_plans";

  private final ControllerStore store;

  RecoveryPlanRecords(ControllerStore store) {
    this.store = store;
  }

  /**
   * Inserts a new plan.
   *
   * @return false, writing nothing, if a plan with the same name (in any case) exists
   */
  public boolean insert(RecoveryPlan plan, Instant at) throws StoreException {
    String name = checkName(plan.getName());
    long atMillis = requireNonNull(at, "at").toEpochMilli();
    return store.inTransaction(
        String.format("Recording recovery plan '%s'", name),
        tx -> {
          try (PreparedStatement insert = tx.prepareStatement(INSERT)) {
            insert.setString(1, name);
            insert.setBytes(2, plan.toByteArray());
            insert.setLong(3, atMillis);
            insert.setLong(4, atMillis);
            return insert.executeUpdate() == 1;
          }
        });
  }

  /** Returns the plan with this name (in any case), if there is one. */
  public Optional<RecoveryPlan> get(String name) throws StoreException {
    String checked = checkName(name);
    return store.inTransaction(
        String.format("Reading recovery plan '%s'", checked), tx -> read(tx, checked));
  }

  /** Returns every plan, sorted by name regardless of case. */
  public List<RecoveryPlan> list() throws StoreException {
    return store.inTransaction(
        "Reading the recovery plans",
        tx -> {
          try (PreparedStatement select =
              tx.prepareStatement(SELECT + " ORDER BY lower(name), name")) {
            return readAll(select);
          }
        });
  }

  /**
   * Reads the plan, applies {@code mutation} and writes the result, in one transaction; the
   * mutation's exception rolls it back and is rethrown as is.
   *
   * @return the plan as stored afterwards; empty, without calling the mutation, if there is none
   * @throws IllegalArgumentException if the mutation changes the name, even only its case
   */
  public <E extends Exception> Optional<RecoveryPlan> update(
      String name, Instant at, Mutation<RecoveryPlan, E> mutation) throws StoreException, E {
    String checked = checkName(name);
    long atMillis = requireNonNull(at, "at").toEpochMilli();
    try {
      return store.inTransaction(
          String.format("Updating recovery plan '%s'", checked),
          tx -> {
            Optional<RecoveryPlan> current = read(tx, checked);
            if (current.isEmpty()) {
              return current;
            }
            RecoveryPlan next = Mutations.apply(mutation, current.get());
            if (next != current.get()) {
              checkArgument(
                  next.getName().equals(current.get().getName()),
                  "the name of recovery plan '%s' cannot change (to '%s')",
                  current.get().getName(),
                  next.getName());
              write(tx, next, atMillis);
            }
            return Optional.of(next);
          });
    } catch (Mutations.Refused refused) {
      throw refused.<E>cause();
    }
  }

  /**
   * Deletes the plan with this name (in any case).
   *
   * @return false if there was none
   */
  public boolean delete(String name) throws StoreException {
    return deleteIf(name, plan -> true);
  }

  /**
   * Deletes the plan with this name (in any case) if {@code condition} holds for it as stored,
   * both in one transaction.
   *
   * @return false if there was none or the condition did not hold
   */
  public boolean deleteIf(String name, Predicate<RecoveryPlan> condition)
      throws StoreException {
    String checked = checkName(name);
    return store.inTransaction(
        String.format("Deleting recovery plan '%s'", checked),
        tx -> {
          Optional<RecoveryPlan> current = read(tx, checked);
          if (current.isEmpty() || !condition.test(current.get())) {
            return false;
          }
          try (PreparedStatement delete = tx.prepareStatement(DELETE)) {
            delete.setString(1, checked);
            return delete.executeUpdate() == 1;
          }
        });
  }

  private static void write(Connection tx, RecoveryPlan plan, long atMillis)
      throws SQLException {
    try (PreparedStatement update = tx.prepareStatement(UPDATE)) {
      update.setBytes(1, plan.toByteArray());
      update.setLong(2, atMillis);
      update.setString(3, plan.getName());
      update.executeUpdate();
    }
  }

  private Optional<RecoveryPlan> read(Connection tx, String name)
      throws SQLException, StoreException {
    try (PreparedStatement select =
        tx.prepareStatement(SELECT + " WHERE lower(name) = lower(?)")) {
      select.setString(1, name);
      return readAll(select).stream().findFirst();
    }
  }

  private List<RecoveryPlan> readAll(PreparedStatement select)
      throws SQLException, StoreException {
    List<RecoveryPlan> plans = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        plans.add(parse(rows.getString(1), rows.getBytes(2)));
      }
    }
    return List.copyOf(plans);
  }

  private RecoveryPlan parse(String name, byte[] bytes) throws StoreException {
    try {
      return RecoveryPlan.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException(
          String.format(
              "The stored recovery plan '%s' in %s cannot be parsed (%s); the database is"
                  + " damaged: restore it from a backup",
              name, store.describe(), e.getMessage()),
          e);
    }
  }

  private static String checkName(String name) {
    requireNonNull(name, "name");
    checkArgument(!name.isBlank(), "recovery plan name is blank");
    return name;
  }
}
