package io.failback.controller.store;

import java.sql.SQLException;
import org.jdbi.v3.core.Handle;

/** One of the two stores' connections and transactions, behind {@link ControllerStore}. */
interface Database extends AutoCloseable {

  /** Work done inside one transaction through a Jdbi handle. */
  @FunctionalInterface
  interface Work<T> {
    T run(Handle handle) throws SQLException, StoreException;
  }

  Dialect dialect();

  /** The location for messages; never holds a password. */
  String describe();

  /**
   * Runs {@code work} as one durable, serializable transaction: committed if it returns,
   * rolled back if it throws.
   */
  <T> T inTransaction(Work<T> work) throws SQLException, StoreException;

  /** Describes a failed action with the database's own words and a hint for the operator. */
  StoreException failure(String action, SQLException e);

  @Override
  void close() throws SQLException;
}
