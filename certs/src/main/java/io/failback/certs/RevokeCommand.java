package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code revoke}: adds a certificate to the CA's CRL and signs the next CRL. */
@Command(mixinStandardHelpOptions = true, versionProvider = PkiCli.Version.class,
    name = "revoke",
    description = "Revoke a certificate: add it to the CA's CRL (DIR/crl.pem), signed anew.")
final class RevokeCommand extends PkiCommand {
  // RFC 5280 serials are at most 20 octets.
  private static final int MAX_SERIAL_BITS = 160;

  @Option(names = "--ca-dir", required = true, paramLabel = "DIR", description = "CA directory.")
  Path caDir;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(
      names = "--reason",
      paramLabel = "REASON",
      defaultValue = "unspecified",
      converter = CrlReasons.Converter.class,
      description = "unspecified (default), keyCompromise, affiliationChanged, superseded,"
          + " cessationOfOperation or privilegeWithdrawn.")
  CRLReason reason;

  @Option(
      names = "--days",
      paramLabel = "DAYS",
      defaultValue = "30",
      description = "Days until the CRL's next update (default: ${DEFAULT-VALUE}).")
  int days;

  /** Which certificate: its serial, or the certificate file itself. */
  static final class Target {
    @Option(names = "--serial", paramLabel = "HEX", description = "Serial in hex, as show prints.")
    String serial;

    @Option(names = "--cert", paramLabel = "FILE.pem", description = "The certificate to revoke.")
    Path cert;
  }

  @Override
  void run(PrintWriter out) throws IOException {
    Names.check(days > 0, "--days must be positive, got %s", days);
    CertificateAuthority ca = CertificateAuthority.load(caDir, clock());
    BigInteger serial;
    String who = "";
    if (target.cert != null) {
      X509Certificate cert = Pem.readCertificates(target.cert).get(0);
      CrlStore.checkIssuedBy(cert, ca.certificate());
      serial = cert.getSerialNumber();
      who = Identities.spiffeIdOf(cert).map(id -> " (" + id + ")").orElse("");
    } else {
      serial = parseSerial(target.serial);
    }
    Path file = CrlStore.file(caDir);
    Optional<RevokedCertificate> already =
        CrlStore.current(caDir, ca.certificate()).flatMap(crl -> crl.find(serial));
    if (already.isPresent()) {
      out.println("Serial " + serial.toString(16) + who + " was already revoked at "
          + already.get().revokedAt() + "; " + file + " is unchanged");
      return;
    }
    Crl crl = CrlStore.revoke(caDir, ca, new RevokedCertificate(serial, ca.now(), reason),
        Duration.ofDays(days));
    out.println("Revoked serial " + serial.toString(16) + who + ", reason "
        + CrlReasons.name(reason));
    out.println("  crl:         " + file + " (number " + crl.number() + ")");
    out.println("  next update: " + crl.nextUpdate().orElseThrow()
        + " (renew before then: failback-pki crl --renew)");
    out.println("  Copy it to the controller as crl.pem beside its CA file (or to its --crl);"
        + " it is reloaded without a restart.");
  }

  /** Hex as {@code show} prints it; colons (openssl's form) and a 0x prefix are allowed. */
  static BigInteger parseSerial(String text) {
    String hex = text.replace(":", "").strip();
    if (hex.startsWith("0x") || hex.startsWith("0X")) {
      hex = hex.substring(2);
    }
    Names.check(!hex.isEmpty() && hex.chars().allMatch(c -> Character.digit(c, 16) >= 0),
        "--serial \"%s\" is not a hexadecimal serial number", text);
    BigInteger serial = new BigInteger(hex, 16);
    Names.check(serial.signum() > 0 && serial.bitLength() <= MAX_SERIAL_BITS,
        "--serial %s is not a certificate serial (1 to 20 octets)", text);
    return serial;
  }
}
