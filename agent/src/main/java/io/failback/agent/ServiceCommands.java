package io.failback.agent;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code install-service} and {@code uninstall-service}: the agent as a Windows service. */
final class ServiceCommands {
  private ServiceCommands() {}

  /** Options both commands share. */
  abstract static class Base implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--service-name", defaultValue = "FailbackAgent",
        description = "Windows service name (default: ${DEFAULT-VALUE}).")
    String serviceName;

    @Option(names = "--home",
        description = "Installation folder holding bin\\prunsrv.exe and lib\\ (default: the"
            + " folder this agent runs from).")
    Path home;

    @Option(names = "--print",
        description = "Print the prunsrv command line instead of running it.")
    boolean print;

    Path home() {
      if (home != null) {
        return home.toAbsolutePath();
      }
      try {
        // <home>/lib/failback-agent.jar
        Path jar = Path.of(AgentMain.class.getProtectionDomain().getCodeSource().getLocation()
            .toURI());
        return jar.getParent().getParent();
      } catch (java.net.URISyntaxException e) {
        throw new IllegalStateException("cannot tell where the agent is installed; use --home",
            e);
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
      if (!HypervisorOptions.onWindows()) {
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
  @Command(name = "install-service", mixinStandardHelpOptions = true,
      description = "Install the agent as a Windows service (procrun), started at boot,"
          + " running 'run --config FILE'.")
  static final class Install extends Base {
    @ParentCommand
    AgentMain parent;

    @Option(names = "--jvm",
        description = "jvm.dll the service loads (default: the one of the Java running this"
            + " command), or 'auto' for the JRE in the registry.")
    String jvm;

    @Option(names = "--service-user", defaultValue = "LocalSystem",
        description = "Account the service runs as; it needs Hyper-V Administrators rights"
            + " (default: ${DEFAULT-VALUE}).")
    String serviceUser;

    @Option(names = "--log-dir",
        description = "Folder for the service's logs (default: <home>\\logs).")
    Path logDir;

    @Override
    public Integer call() throws IOException, InterruptedException {
      if (parent.config == null) {
        throw new IllegalArgumentException("--config FILE is required: the service runs"
            + " 'run --config FILE' and takes every option from it");
      }
      return execute(command().install());
    }

    ProcrunCommand command() throws IOException {
      Path lib = home().resolve("lib");
      List<String> jars;
      try (Stream<Path> files = Files.list(lib)) {
        // The agent's own jar first, then the rest by name: the same order on every install.
        jars = files.map(Path::toString).filter(name -> name.endsWith(".jar"))
            .sorted(Comparator.comparing((String jar) -> !isAgentJar(jar))
                .thenComparing(Comparator.naturalOrder()))
            .toList();
      }
      String jvmDll = jvm != null ? jvm : Path.of(System.getProperty("java.home"), "bin",
          "server", "jvm.dll").toString();
      return new ProcrunCommand(prunsrv(), serviceName, jvmDll, jars,
          parent.config.toAbsolutePath().toString(),
          (logDir != null ? logDir : home().resolve("logs")).toAbsolutePath().toString(),
          serviceUser);
    }

    private static boolean isAgentJar(String path) {
      return Path.of(path).getFileName().toString().startsWith("failback-agent");
    }
  }

  /** Removes the service. */
  @Command(name = "uninstall-service", mixinStandardHelpOptions = true,
      description = "Stop and remove the agent's Windows service.")
  static final class Uninstall extends Base {
    @Override
    public Integer call() throws IOException, InterruptedException {
      return execute(ProcrunCommand.uninstall(prunsrv(), serviceName));
    }
  }
}
