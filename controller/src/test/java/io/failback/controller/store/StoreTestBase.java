package io.failback.controller.store;

import io.failback.controller.store.TestDatabases.Backend;
import java.nio.file.Path;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * A fresh controller store, closed after each test, on the backend the concrete class is
 * parameterized with ({@code @ParameterizedClass @EnumSource(Backend.class)}): every test runs
 * on SQLite and on PostgreSQL.
 */
abstract class StoreTestBase {
  @Parameter Backend backend;
  @TempDir Path dir;
  StoreLocation location;
  ControllerStore store;

  @BeforeEach
  void open() throws Exception {
    location = TestDatabases.newLocation(backend, dir);
    store = ControllerStore.open(location);
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  /** Closes the store and opens it again, as a controller restart does. */
  void reopen() throws StoreException {
    store.close();
    store = ControllerStore.open(location);
  }

  /** The first column of the first row of {@code sql}, read beside the store. */
  String queryString(String sql) throws SQLException {
    return TestDatabases.queryString(location, sql);
  }
}
