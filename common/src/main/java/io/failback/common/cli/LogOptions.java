package io.failback.common.cli;

import io.failback.common.logging.Logging;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --log-level}, {@code --log-format} and {@code --log-file} of a long-running process. */
public final class LogOptions {
  @Option(names = "--log-level", defaultValue = "info", paramLabel = "LEVEL",
      description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}).")
  String level = "info";

  @Option(names = "--log-format", defaultValue = "text", paramLabel = "FORMAT",
      description = "text (one line per record) or json (one object per line); both in UTC"
          + " ISO-8601 time (default: ${DEFAULT-VALUE}).")
  Logging.Format format = Logging.Format.text;

  @Option(names = "--log-file", paramLabel = "FILE",
      description = "Write to this file, rolled daily and at 10 MiB, 7 days kept (default:"
          + " stderr).")
  Path file;

  /** Applies the options; before the process logs anything that matters. */
  public void apply() {
    Logging.configure(level, format, file);
  }
}
