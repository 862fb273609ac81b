package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreLocation;
import io.failback.controller.store.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MigrateStoreCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine command = ControllerMain.commandLine().setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true));
    return command.execute(args);
  }

  @Test
  void copiesTheFileIntoPostgresAndSaysWhatItCopied() throws Exception {
    Path file = dir.resolve("controller.db");
    try (ControllerStore store = ControllerStore.open(file)) {
      store.hostFenceRecords().fence("hv02", java.time.Instant.EPOCH, "a", "stolen");
    }
    StoreLocation.Postgres target = TestDatabases.newPostgresDatabase();

    int code = run("migrate-store", "--from", file.toString(), "--store",
        target.describe(), "-o", "json");

    assertEquals(0, code, err.toString());
    JsonObject result = JsonParser.parseString(out.toString()).getAsJsonObject();
    assertEquals(1, result.getAsJsonObject("rows").get("host_fences").getAsInt());
    assertEquals(target.describe(), result.get("to").getAsString());
    try (ControllerStore copied = ControllerStore.open(target)) {
      assertEquals(1, copied.hostFenceRecords().fences(null).size());
    }
  }

  @Test
  void badOptionsAreOneLineErrorsWithExitCodeTwo() {
    Path file = dir.resolve("controller.db");
    assertEquals(2, run("migrate-store", "--from", file.toString(), "--store",
        "postgresql://u@localhost/db"));
    assertTrue(err.toString().contains("is not a file"), err.toString());
    assertEquals(1, err.toString().lines().count(), err.toString());

    assertEquals(2, run("migrate-store", "--from", "/etc/hostname", "--store",
        "postgresql://u:secret@localhost/db"));
    assertTrue(err.toString().contains("holds a password"), err.toString());
    assertTrue(!err.toString().contains("secret"), err.toString());
    assertEquals(2, run("migrate-store", "--from", "/etc/hostname", "--store", "elsewhere.db"));
    assertTrue(err.toString().contains("must be the postgresql:// URL"), err.toString());
  }
}
