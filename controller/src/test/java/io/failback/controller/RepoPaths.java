package io.failback.controller;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the checkout's root from a module's working directory. */
final class RepoPaths {
  private RepoPaths() {}

  static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("not inside the Failback checkout: "
          + Path.of("").toAbsolutePath());
    }
    return dir;
  }
}
