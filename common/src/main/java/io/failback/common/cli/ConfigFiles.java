package io.failback.common.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;

/**
 * Lets every option of a command come from a properties file, one {@code name=value} per
 * option (the option's long name without dashes); the command line still wins.
 */
public final class ConfigFiles {
  private ConfigFiles() {}

  /**
   * Finds the config file: {@code --config FILE} in {@code args}, else the file named by
   * {@code envVariable}, else {@code fallback} if it exists.
   */
  public static Optional<Path> locate(String[] args, String envVariable, Path fallback,
      Map<String, String> env) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return Optional.of(Path.of(args[i + 1]));
      }
      if (args[i].startsWith("--config=")) {
        return Optional.of(Path.of(args[i].substring("--config=".length())));
      }
    }
    String fromEnv = env.get(envVariable);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Optional.of(Path.of(fromEnv));
    }
    return fallback != null && Files.isRegularFile(fallback) ? Optional.of(fallback)
        : Optional.empty();
  }

  /**
   * Runs {@code command} with defaults from the located config file.
   *
   * @return the exit code; 2 with a one-line message when a named config file is missing
   */
  public static int execute(CommandLine command, String[] args, String envVariable,
      Path fallback) {
    Optional<Path> config = locate(args, envVariable, fallback, System.getenv());
    if (config.isPresent()) {
      if (!Files.isRegularFile(config.get())) {
        command.getErr().println("error: config file " + config.get() + " does not exist");
        return 2;
      }
      command.setDefaultValueProvider(
          new CommandLine.PropertiesDefaultProvider(config.get().toFile()));
    }
    return command.execute(args);
  }
}
