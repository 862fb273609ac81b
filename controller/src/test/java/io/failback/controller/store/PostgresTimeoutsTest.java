package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL store's connections give up on a server that stopped answering, unless the
 * --store URL's options say otherwise, and the server ends a session that stopped talking
 * mid-transaction, which would otherwise hold the lease row from a standby.
 */
class PostgresTimeoutsTest {

  @Test
  void theStoresConnectionsWaitAMinuteAtMostForARead() throws Exception {
    StoreLocation.Postgres location = TestDatabases.newPostgresDatabase();
    assertEquals(60_000, networkTimeout(location));
    assertEquals(List.of("10", "60", "true"), timeouts(location));
    try (ControllerStore store = ControllerStore.open(location)) {
      assertEquals("10s", store.inTransaction("Reading a setting", connection ->
          Transactions.queryString(connection, "SHOW idle_in_transaction_session_timeout")));
    }
  }

  @Test
  void theUrlsOptionsWin() throws Exception {
    StoreLocation.Postgres given = TestDatabases.newPostgresDatabase();
    StoreLocation.Postgres location = new StoreLocation.Postgres(given.host(), given.port(),
        given.database(), given.user(), null,
        Map.of("socketTimeout", "300", "connectTimeout", "5", "tcpKeepAlive", "false"));
    assertEquals(300_000, networkTimeout(location));
    assertEquals(List.of("5", "300", "false"), timeouts(location));
  }

  /** What the driver waits for a read on the store's own connections, in milliseconds. */
  private static int networkTimeout(StoreLocation.Postgres location) throws Exception {
    try (ControllerStore store = ControllerStore.open(location)) {
      return store.inTransaction("Reading the network timeout",
          connection -> connection.getNetworkTimeout());
    }
  }

  private static List<String> timeouts(StoreLocation.Postgres location) {
    var properties = PostgresDatabase.driverProperties(location);
    return List.of(properties.getProperty("connectTimeout"),
        properties.getProperty("socketTimeout"), properties.getProperty("tcpKeepAlive"));
  }
}
