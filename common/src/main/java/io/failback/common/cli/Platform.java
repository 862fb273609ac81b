package io.failback.common.cli;

import java.util.Locale;

/** The operating system this JVM runs on, where a default or a command depends on it. */
public final class Platform {
  private Platform() {}

  /** Whether this JVM runs on Windows, where Hyper-V and Windows services are. */
  public static boolean onWindows() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
  }
}
