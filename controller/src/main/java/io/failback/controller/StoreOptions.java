package io.failback.controller;

import io.failback.controller.store.StoreLocation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --store} and its password, shared by the controller and {@code migrate-store}. */
public final class StoreOptions {
  /** The environment variable read for the database password when no file is named. */
  public static final String PASSWORD_VARIABLE = "FAILBACK_STORE_PASSWORD";

  @Option(names = "--store", paramLabel = "URL|FILE",
      description = "Where the controller keeps its state: a PostgreSQL URL"
          + " postgresql://[USER@]HOST[:PORT]/DATABASE[?sslmode=verify-full&sslrootcert=FILE]"
          + " (the production store; any option of the PostgreSQL JDBC driver may follow the ?)"
          + " or the path of a SQLite file (default: controller.db in --state-dir).")
  String store;

  @Option(names = "--store-password-file", paramLabel = "FILE",
      description = "File whose first line is the PostgreSQL password; without it the"
          + " password is read from " + PASSWORD_VARIABLE + ", if set.")
  Path passwordFile;

  /**
   * The location asked for, or null when {@code --store} was not given.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public StoreLocation location(Map<String, String> environment) {
    if (store == null) {
      return null;
    }
    return StoreLocation.parse(store, password(environment));
  }

  private String password(Map<String, String> environment) {
    if (passwordFile == null) {
      return environment.get(PASSWORD_VARIABLE);
    }
    try {
      String text = Files.readString(passwordFile, StandardCharsets.UTF_8);
      int end = text.indexOf('\n');
      return (end < 0 ? text : text.substring(0, end)).stripTrailing();
    } catch (IOException e) {
      throw new IllegalArgumentException("--store-password-file: cannot read " + passwordFile
          + ": " + e.getMessage());
    }
  }
}
