package io.failback.certs;

import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code failback-pki} command line: a CA, keys made where they are used, and signing.
 *
 * <p>Exit codes: 0 success, 1 a command failed (one line on stderr, nothing written), 2 a usage
 * error.
 */
@Command(
    name = "failback-pki",
    mixinStandardHelpOptions = true,
    versionProvider = PkiCli.Version.class,
    description = "Failback PKI: CA, controller, agent and operator certificates.",
    subcommands = {
      InitCaCommand.class,
      RequestCommand.class,
      SignCommand.class,
      IssueCommand.class,
      ShowCommand.class,
      RevokeCommand.class,
      CrlCommand.class,
      EncryptionCertCommand.class
    })
public final class PkiCli implements Callable<Integer> {
  @Spec CommandSpec spec;

  private final Clock clock;

  /** A CLI that dates certificates by the system clock. */
  public PkiCli() {
    this(Clock.systemUTC());
  }

  /** A CLI that dates certificates by {@code clock}. */
  public PkiCli(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Runs the CLI and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new PkiCli()).execute(args));
  }

  @Override
  public Integer call() {
    throw new ParameterException(
        spec.commandLine(),
        "Missing command: init-ca, request, sign, issue, show, revoke, crl or encryption-cert");
  }

  Clock clock() {
    return clock;
  }

  /** Reports the jar's implementation version when the manifest has one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = PkiCli.class.getPackage().getImplementationVersion();
      return new String[] {"failback-pki " + (version == null ? "(development build)" : version)};
    }
  }
}
