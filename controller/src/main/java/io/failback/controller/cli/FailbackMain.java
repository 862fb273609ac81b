package io.failback.controller.cli;

import io.failback.common.cli.ConfigFiles;
import io.failback.common.cli.ImplementationVersion;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLException;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code failback}: the operator CLI. It calls the same gRPC API as {@code buf curl} would, and
 * prints the server's description on any error with a non-zero exit.
 */
@Command(name = "failback", mixinStandardHelpOptions = true,
    versionProvider = ImplementationVersion.class,
    description = "Operate Failback: hosts, VMs, recovery plans, failover and failback.",
    subcommands = {InventoryCommands.Hosts.class, InventoryCommands.HostDetail.class,
        InventoryCommands.Vms.class, InventoryCommands.Vm.class, HostAdminCommands.Fence.class,
        HostAdminCommands.Unfence.class, HostAdminCommands.RemoveHost.class,
        HostAdminCommands.MoveVm.class, HostAdminCommands.Audit.class,
        CertificateCommands.EnrollToken.class, CertificateCommands.RenewCert.class,
        ItemCommands.Items.class, ItemCommands.SetRpo.class,
        CloudDeviceCommands.SetDevices.class, CloudVmCommands.Restart.class,
        DisableProtectionCommand.class,
        LifecycleCommands.Protect.class, LifecycleCommands.Failover.class,
        LifecycleCommands.Complete.class, LifecycleCommands.Commit.class,
        LifecycleCommands.Rollback.class, DrillCommands.Drill.class, DrillCommands.Cleanup.class,
        LifecycleCommands.ReverseReplicate.class, JobCommands.Jobs.class,
        JobCommands.JobDetail.class, LifecycleCommands.Cancel.class,
        LifecycleCommands.Resume.class,
        LifecycleCommands.SimulateWrites.class, PlanCommands.class, BandwidthCommands.class})
public final class FailbackMain {
  /** Exit code for errors the controller reported. */
  static final int EXIT_SERVER_ERROR = 3;

  @Mixin
  ConnectionOptions connection = new ConnectionOptions();

  @Option(names = "--config", scope = CommandLine.ScopeType.INHERIT,
      description = "Properties file with controller=, ca=, cert=, key= (default:"
          + " $FAILBACK_CONFIG, else ~/.failback/cli.properties).")
  Path config;

  /** What each exit code means, in every command's {@code --help}. */
  static final Map<String, String> EXIT_CODES = exitCodes();

  private static Map<String, String> exitCodes() {
    Map<String, String> codes = new LinkedHashMap<>();
    codes.put("0", "done (a followed job succeeded or waits for your action)");
    codes.put("1", "failed here: cannot connect, TLS, files");
    codes.put("2", "usage: unknown command or option, missing or invalid value");
    codes.put(String.valueOf(EXIT_SERVER_ERROR), "the controller refused or failed the call"
        + " (its reason is printed)");
    codes.put("4", "a followed job failed or was cancelled");
    codes.put(String.valueOf(PreflightView.PROBLEMS_FOUND), "--validate-only found problems");
    return codes;
  }

  /** Builds the command line, for main and for tests. */
  public static CommandLine commandLine() {
    CommandLine root = new CommandLine(new FailbackMain());
    root.addSubcommand(new AutoComplete.GenerateCompletion());
    // Shown: `source <(failback generate-completion)` is how operators get completion.
    root.getSubcommands().get("generate-completion").getCommandSpec().usageMessage()
        .hidden(false).description("Print a bash/zsh completion script: source <(failback"
            + " generate-completion)");
    ImplementationVersion.everywhere(root);
    withExitCodes(root);
    return root
        .setParameterExceptionHandler((e, args) -> {
          // One line, as kubectl and gh print it: the whole help after it buried the message.
          CommandLine cmd = e.getCommandLine();
          cmd.getErr().println("error: " + e.getMessage() + " (see '"
              + cmd.getCommandSpec().qualifiedName() + " --help')");
          CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
          return cmd.getCommandSpec().exitCodeOnInvalidInput();
        })
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          if (e instanceof StatusRuntimeException sre) {
            Status status = sre.getStatus();
            cmd.getErr().println("error: " + status.getCode() + ": "
                + (status.getDescription() != null ? CliHints.forCli(status.getDescription())
                : String.valueOf(status.getCause())) + handshakeHint(status.getCause()));
            return EXIT_SERVER_ERROR;
          }
          cmd.getErr().println("error: " + e.getMessage());
          return 1;
        });
  }

  /**
   * Why a handshake failed, as far as this side knows: the controller tells a refused client
   * only a TLS alert, and logs the reason (revoked, expired, another CA) on its side.
   */
  private static String handshakeHint(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return "; the TLS handshake failed (" + t.getMessage() + "). If the controller refused"
            + " this certificate (revoked, expired, from another CA), its log says why";
      }
    }
    return "";
  }

  private static void withExitCodes(CommandLine command) {
    command.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(EXIT_CODES);
    command.getSubcommands().values().forEach(FailbackMain::withExitCodes);
  }

  /** Runs the CLI with {@code args}, printing to {@code out} and {@code err}; returns the exit. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    Path fallback = Path.of(System.getProperty("user.home"), ".failback", "cli.properties");
    CommandLine command = commandLine().setOut(out).setErr(err);
    return ConfigFiles.execute(command, args, "FAILBACK_CONFIG", fallback);
  }

  /** Whether standard output is a terminal, where --watch redraws its line in place. */
  static volatile boolean onTerminal;

  /**
   * The terminal's width in columns as picocli finds it (stty or tput on Unix, mode con on
   * Windows), 80 when it cannot tell.
   */
  static int terminalWidth() {
    CommandLine.Model.UsageMessageSpec usage = new CommandLine.Model.UsageMessageSpec();
    usage.autoWidth(true);
    return usage.width();
  }

  public static void main(String[] args) {
    onTerminal = System.console() != null;
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(run(args, out, err));
  }
}
