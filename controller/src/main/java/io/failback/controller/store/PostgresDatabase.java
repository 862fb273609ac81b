package io.failback.controller.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
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

  /**
   * How long one read waits for the server before the call fails and its connection is
   * dropped. Without it a call on a connection whose packets vanish (a cut-off network, a
   * firewall that forgot the connection) waits for TCP to give up, a quarter of an hour, or for
   * ever once the request was acknowledged. Four times the default lease TTL: an active that
   * cannot renew has stopped long before (its lease watchdog), and no statement of this store
   * waits that long otherwise (small tables; lock waits behind the other controller's short
   * transactions). A migration of a very large store may need more: {@code
   * ?socketTimeout=SECONDS} in --store wins.
   */
  static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);

  /**
   * How long the server keeps a session that stopped talking in the middle of a transaction.
   * Every transaction of the active controller locks the lease row for share, and a standby
   * takes over by locking it for update: a transaction left open by an active cut off from the
   * server would otherwise hold the takeover until the server's TCP keepalive ends it (two
   * hours by default). Below the default lease TTL, so the takeover does not wait at all; no
   * transaction of this store pauses that long between statements (its calls are serialized,
   * a pause would hold the lease's renewal too).
   */
  static final Duration IDLE_IN_TRANSACTION_TIMEOUT = Duration.ofSeconds(10);

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

  /** The driver's properties: the location's, with the timeouts above unless it sets them. */
  static Properties driverProperties(StoreLocation.Postgres location) {
    Properties properties = location.driverProperties();
    properties.putIfAbsent("connectTimeout", String.valueOf(CONNECT_TIMEOUT.toSeconds()));
    properties.putIfAbsent("socketTimeout", String.valueOf(SOCKET_TIMEOUT.toSeconds()));
    // The kernel's probes (on its own timing: hours by default) end a pooled connection to a
    // server that vanished while the connection idles, not only at its next use.
    properties.putIfAbsent("tcpKeepAlive", "true");
    return properties;
  }

  private static HikariDataSource connect(StoreLocation.Postgres location)
      throws StoreException {
    HikariConfig config = new HikariConfig();
    config.setPoolName("failback-store");
    config.setJdbcUrl(location.jdbcUrl());
    config.setDataSourceProperties(driverProperties(location));
    config.setMaximumPoolSize(4);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(CONNECT_TIMEOUT.toMillis());
    config.setConnectionInitSql("SET idle_in_transaction_session_timeout = "
        + IDLE_IN_TRANSACTION_TIMEOUT.toMillis());
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
