package io.failback.controller.store;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A fresh controller store in a temporary folder, closed after each test. */
abstract class StoreTestBase {
  @TempDir Path dir;
  Path file;
  ControllerStore store;

  @BeforeEach
  void open() throws Exception {
    file = dir.resolve("controller.db");
    store = ControllerStore.open(file);
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }
}
