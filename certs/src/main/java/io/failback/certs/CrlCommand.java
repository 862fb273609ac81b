package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code crl}: lists the CA's CRL, or signs the next one with a fresh next update. */
@Command(mixinStandardHelpOptions = true, versionProvider = PkiCli.Version.class,
    name = "crl",
    description = "List the CA's CRL (DIR/crl.pem); with --renew, sign the next one first.")
final class CrlCommand extends PkiCommand {
  @Option(names = "--ca-dir", required = true, paramLabel = "DIR", description = "CA directory.")
  Path caDir;

  @Option(
      names = "--renew",
      description = "Sign the next CRL, same entries, new next update (an empty one if none).")
  boolean renew;

  @Option(
      names = "--days",
      paramLabel = "DAYS",
      defaultValue = "30",
      description = "With --renew: days until its next update (default: ${DEFAULT-VALUE}).")
  int days;

  @Override
  void run(PrintWriter out) throws IOException {
    Names.check(days > 0, "--days must be positive, got %s", days);
    Path file = CrlStore.file(caDir);
    Crl crl;
    if (renew) {
      CertificateAuthority ca = CertificateAuthority.load(caDir, clock());
      crl = CrlStore.renew(caDir, ca, Duration.ofDays(days));
      out.println("Signed " + file + "; copy it to the controller as before");
    } else {
      // Listing needs only the CA certificate, not its key.
      X509Certificate ca =
          Pem.readCertificates(caDir.resolve(CertificateAuthority.CERT_FILE)).get(0);
      crl = CrlStore.current(caDir, ca).orElseThrow(() -> new IOException("no CRL in " + caDir
          + " yet: revoke writes one, or crl --renew an empty one"));
      out.println(file + ": signature verified with the CA certificate");
    }
    CrlDescription.of(crl, clock().instant()).forEach(out::println);
  }
}
