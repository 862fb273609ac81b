package io.failback.controller.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.transaction.SerializableTransactionRunner;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * The production store: a PostgreSQL database, reached through a small connection pool, every
 * call one SERIALIZABLE transaction that Jdbi retries when the server reports a serialization
 * conflict with another controller's transaction.
 */
final class PostgresDatabase implements Database {

  /** How long a call waits for a connection (the server down, the network cut) before failing. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final StoreLocation.Postgres location;
  private final HikariDataSource pool;
  private final Jdbi jdbi;

  private PostgresDatabase(StoreLocation.Postgres location, HikariDataSource pool) {
    this.location = location;
    this.pool = pool;
    this.jdbi = Jdbi.create(pool);
    jdbi.setTransactionHandler(new SerializableTransactionRunner());
  }

  /** Connects, refuses a database that is not ours or is newer, and migrates the schema. */
  static PostgresDatabase open(StoreLocation.Postgres location) throws StoreException {
    HikariDataSource pool = connect(location);
    try (Connection probe = pool.getConnection()) {
      SchemaMigrations migrations =
          SchemaMigrations.postgres(location.describe(), pool, probe);
      migrations.verifyCompatible();
      migrations.migrate();
      return new PostgresDatabase(location, pool);
    } catch (SQLException e) {
      pool.close();
      throw SqlFailures.postgres(location.describe(), "Opening the database", e);
    } catch (StoreException | RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  @Override
  public Dialect dialect() {
    return Dialect.POSTGRESQL;
  }

  @Override
  public String describe() {
    return location.describe();
  }

  @Override
  public <T> T inTransaction(Work<T> work) throws SQLException, StoreException {
    try {
      return jdbi.inTransaction(TransactionIsolationLevel.SERIALIZABLE, work::run);
    } catch (JdbiException e) {
      // Jdbi wraps driver errors in its own unchecked exceptions; callers want the driver's.
      if (e.getCause() instanceof SQLException sql) {
        throw sql;
      }
      throw e;
    } catch (SQLException | StoreException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public StoreException failure(String action, SQLException e) {
    return SqlFailures.postgres(location.describe(), action, e);
  }

  @Override
  public void close() {
    pool.close();
  }

  private static HikariDataSource connect(StoreLocation.Postgres location)
      throws StoreException {
    HikariConfig config = new HikariConfig();
    config.setPoolName("failback-store");
    config.setJdbcUrl(location.jdbcUrl());
    config.setDataSourceProperties(location.driverProperties());
    config.setMaximumPoolSize(4);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(CONNECT_TIMEOUT.toMillis());
    // Fail fast at start with the driver's own reason; a service manager starts it again.
    config.setInitializationFailTimeout(1);
    config.setTransactionIsolation("TRANSACTION_SERIALIZABLE");
    try {
      return new HikariDataSource(config);
    } catch (HikariPool.PoolInitializationException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw SqlFailures.postgres(location.describe(), "Connecting to the database", sql);
      }
      throw new StoreException(String.format("Connecting to the database %s failed: %s",
          location.describe(), e.getMessage()), e);
    }
  }
}
