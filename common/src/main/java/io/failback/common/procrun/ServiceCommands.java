package io.failback.common.procrun;

import io.failback.common.cli.Platform;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code install-service} and {@code uninstall-service}: a component as a Windows service. */
public final class ServiceCommands {
  private ServiceCommands() {}

  /**
   * Adds both commands for {@code service} to {@code main}; the service runs with the file that
   * {@code main}'s {@code --config} names, an option its subcommands inherit.
   */
  public static CommandLine addTo(CommandLine main, ServiceDefinition service) {
    CommandLine install = command(new Install(service), "Install the " + service.component()
        + " as a Windows service (procrun), started at boot, running '"
        + String.join(" ", service.arguments("FILE")) + "'.");
    install.getCommandSpec().addOption(option("--service-user", "<serviceUser>",
        service.defaultUser(), "Account the service runs as; " + service.userRights()
            + " (default: ${DEFAULT-VALUE})."));
    CommandLine uninstall = command(new Uninstall(service),
        "Stop and remove the " + service.component() + "'s Windows service.");
    return main.addSubcommand(install).addSubcommand(uninstall);
  }

  /** The command line of {@code command}, with the options whose text names the component. */
  private static CommandLine command(Base command, String description) {
    CommandLine line = new CommandLine(command);
    line.getCommandSpec().usageMessage().description(description);
    line.getCommandSpec().addOption(option("--service-name", "<serviceName>",
        command.service.serviceName(), "Windows service name (default: ${DEFAULT-VALUE})."));
    return line;
  }

  private static OptionSpec option(String name, String label, String defaultValue,
      String description) {
    return OptionSpec.builder(name).type(String.class).paramLabel(label)
        .defaultValue(defaultValue).description(description).build();
  }

  /** Options both commands share. */
  abstract static class Base implements Callable<Integer> {
    final ServiceDefinition service;

    @Spec
    CommandSpec spec;

    @Option(names = "--home",
        description = "Installation folder holding bin\\prunsrv.exe and lib\\ (default: the"
            + " folder this command runs from).")
    Path home;

    @Option(names = "--print",
        description = "Print the prunsrv command line instead of running it.")
    boolean print;

    Base(ServiceDefinition service) {
      this.service = service;
    }

    String value(String option) {
      return spec.findOption(option).getValue();
    }

    Path home() {
      if (home != null) {
        return home.toAbsolutePath();
      }
      try {
        // <home>/lib/failback-<component>.jar
        Path jar = Path.of(service.entryPoint().getProtectionDomain().getCodeSource()
            .getLocation().toURI());
        return jar.getParent().getParent();
      } catch (java.net.URISyntaxException e) {
        throw new IllegalStateException("cannot tell where the " + service.component()
            + " is installed; use --home", e);
      }
    }

    String prunsrv() {
      return home().resolve("bin").resolve("prunsrv.exe").toString();
    }

    /** Runs or prints {@code command}; running needs Windows and an elevated prompt. */
    int execute(List<String> command) throws IOException, InterruptedException {
      PrintWriter out = spec.commandLine().getOut();
      if (print) {
        out.println(String.join("\n", command));
        out.flush();
        return 0;
      }
      if (!Platform.onWindows()) {
        throw new IllegalStateException("Windows services exist only on Windows; on Linux use"
            + " the systemd unit in the archive's systemd/ folder (--print shows the command)");
      }
      int exit = new ProcessBuilder(command).inheritIO().start().waitFor();
      if (exit != 0) {
        throw new IllegalStateException("prunsrv failed with exit code " + exit + "; run from"
            + " an elevated (Administrator) prompt and see the log in the service's log folder");
      }
      return 0;
    }
  }

  /** Installs the service. */
  @Command(name = "install-service", mixinStandardHelpOptions = true)
  static final class Install extends Base {
    @Option(names = "--jvm",
        description = "jvm.dll the service loads (default: the one of the Java running this"
            + " command), or 'auto' for the JRE in the registry.")
    String jvm;

    @Option(names = "--log-dir",
        description = "Folder for the service's logs (default: <home>\\logs).")
    Path logDir;

    Install(ServiceDefinition service) {
      super(service);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
      // Inherited from the main command: the same value wherever it stood on the line.
      Path config = spec.findOption("--config").getValue();
      if (config == null) {
        throw new IllegalArgumentException("--config FILE is required: the service runs '"
            + String.join(" ", service.arguments("FILE")) + "' and takes every option from it");
      }
      return execute(command(config).install());
    }

    ProcrunCommand command(Path config) throws IOException {
      Path lib = home().resolve("lib");
      List<String> jars;
      try (Stream<Path> files = Files.list(lib)) {
        // The component's own jar first, then the rest by name: the same order on every install.
        jars = files.map(Path::toString).filter(name -> name.endsWith(".jar"))
            .sorted(Comparator.comparing((String jar) -> !isOwnJar(jar))
                .thenComparing(Comparator.naturalOrder()))
            .toList();
      }
      String jvmDll = jvm != null ? jvm : Path.of(System.getProperty("java.home"), "bin",
          "server", "jvm.dll").toString();
      return new ProcrunCommand(service, prunsrv(), value("--service-name"), jvmDll, jars,
          config.toAbsolutePath().toString(),
          (logDir != null ? logDir : home().resolve("logs")).toAbsolutePath().toString(),
          value("--service-user"), logLevel(config));
    }

    /** The {@code log-level} the config file gives the component; info if none. */
    private static String logLevel(Path config) throws IOException {
      java.util.Properties properties = new java.util.Properties();
      try (var reader = Files.newBufferedReader(config)) {
        properties.load(reader);
      }
      return properties.getProperty("log-level", "info").strip();
    }

    private boolean isOwnJar(String path) {
      return Path.of(path).getFileName().toString().startsWith(service.artifact());
    }
  }

  /** Removes the service. */
  @Command(name = "uninstall-service", mixinStandardHelpOptions = true)
  static final class Uninstall extends Base {
    Uninstall(ServiceDefinition service) {
      super(service);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
      return execute(ProcrunCommand.uninstall(prunsrv(), value("--service-name")));
    }
  }
}
