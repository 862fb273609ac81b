package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code init-ca}: creates the CA certificate and key in a new directory. */
@Command(mixinStandardHelpOptions = true, versionProvider = PkiCli.Version.class,
    name = "init-ca", description = "Create a CA (ca.pem, ca.key) for a trust domain.")
final class InitCaCommand extends PkiCommand {
  @Option(names = "--dir", required = true, paramLabel = "DIR", description = "CA directory.")
  Path dir;

  @Option(
      names = "--trust-domain",
      required = true,
      paramLabel = "TD",
      description = "Trust domain, e.g. failback.local.")
  String trustDomain;

  @Option(
      names = "--days",
      paramLabel = "DAYS",
      defaultValue = "3650",
      description = "Validity in days (default: ${DEFAULT-VALUE}).")
  int days;

  @Override
  void run(PrintWriter out) throws IOException {
    Names.check(days > 0, "--days must be positive, got %s", days);
    CertificateAuthority ca =
        CertificateAuthority.create(dir, trustDomain, Duration.ofDays(days), clock());
    out.println("Created a CA for trust domain " + ca.trustDomain());
    out.println(
        "  certificate: "
            + dir.resolve(CertificateAuthority.CERT_FILE)
            + "  (copy to the controller, every agent and every operator)");
    out.println(
        "  private key: "
            + dir.resolve(CertificateAuthority.KEY_FILE)
            + "  (never leaves this machine)");
    out.println("  valid until: " + ca.certificate().getNotAfter().toInstant());
    out.println("  thumbprint:  " + Identities.thumbprint(ca.certificate()));
  }
}
