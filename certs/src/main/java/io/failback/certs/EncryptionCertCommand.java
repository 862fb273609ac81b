package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code encryption-cert}: makes an agent's payload-encryption key and certificate. */
@Command(mixinStandardHelpOptions = true, versionProvider = PkiCli.Version.class,
    name = "encryption-cert",
    description = "Make an encryption key and self-signed certificate on the agent's host"
        + " (THUMBPRINT.key, THUMBPRINT.pem) for end-to-end encrypted failback.")
final class EncryptionCertCommand extends PkiCommand {
  @Option(
      names = "--name",
      required = true,
      paramLabel = "HOST",
      description = "The agent's host name (informational: the subject's CN).")
  String name;

  @Option(
      names = "--out-dir",
      required = true,
      paramLabel = "DIR",
      description = "The agent's encryption directory, <state-dir>/encryption.")
  Path outDir;

  @Option(
      names = "--days",
      paramLabel = "DAYS",
      defaultValue = "1825",
      description = "Validity in days (default: ${DEFAULT-VALUE}).")
  int days;

  @Override
  void run(PrintWriter out) throws IOException {
    Names.check(days > 0, "--days must be positive, got %s", days);
    EncryptionCertificates.Issued issued =
        EncryptionCertificates.create(name, Duration.ofDays(days), clock());
    Path cert = issued.write(outDir);
    out.println("Encryption certificate " + issued.thumbprint());
    out.println("  certificate: " + cert);
    out.println("  private key: " + outDir.resolve(issued.thumbprint() + ".key")
        + "  (stays on this host; back it up: without it encrypted failbacks cannot be applied)");
    out.println("  valid until: " + issued.certificate().getNotAfter().toInstant());
    out.println("The agent reports it at its next registration; select it by thumbprint.");
  }
}
