package io.failback.certs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A CA directory's CRL, {@code crl.pem}: read only once its signature verifies, and replaced
 * atomically by the next CRL, which keeps every earlier entry and has the next CRL number.
 */
public final class CrlStore {
  private CrlStore() {}

  public static Path file(Path caDir) {
    return caDir.resolve(CertificateAuthority.CRL_FILE);
  }

  /** The CRL in {@code caDir}, if any; refuses one that {@code ca} did not sign. */
  public static Optional<Crl> current(Path caDir, X509Certificate ca) throws IOException {
    Path file = file(caDir);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    List<Crl> crls = Crl.read(file);
    if (crls.size() != 1 || !crls.get(0).issuedBy(ca)) {
      throw new IOException(file + " is not a CRL signed by the CA in " + caDir
          + "; move it away to start a new CRL (nothing revoked so far would stay revoked)");
    }
    return Optional.of(crls.get(0));
  }

  /** Adds {@code entry} and writes the next CRL, valid for {@code validity}. */
  public static Crl revoke(Path caDir, CertificateAuthority ca, RevokedCertificate entry,
      Duration validity) throws IOException {
    Names.check(!entry.serial().equals(ca.certificate().getSerialNumber()),
        "serial %s is the CA's own certificate; to retire a CA, make a new one and re-issue",
        entry.serial().toString(16));
    Crl previous = current(caDir, ca.certificate()).orElse(null);
    Crl next = ca.issueCrl(previous, List.of(entry), validity);
    Crl.write(file(caDir), List.of(next));
    return next;
  }

  /** Writes the next CRL with the same entries (an empty first one if none), for validity. */
  public static Crl renew(Path caDir, CertificateAuthority ca, Duration validity)
      throws IOException {
    Crl previous = current(caDir, ca.certificate()).orElse(null);
    Crl next = ca.issueCrl(previous, List.of(), validity);
    Crl.write(file(caDir), List.of(next));
    return next;
  }

  /** Refuses a certificate that {@code ca} did not issue: its serial would mean nothing here. */
  public static void checkIssuedBy(X509Certificate cert, X509Certificate ca) {
    boolean issued = cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal());
    try {
      cert.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      issued = false;
    }
    Names.check(issued, "certificate %s (serial %s) was not issued by this CA",
        cert.getSubjectX500Principal().getName(), cert.getSerialNumber().toString(16));
  }
}
