package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sign}: the CA certifies a CSR for the identity given on the command line. */
@Command(mixinStandardHelpOptions = true, versionProvider = PkiCli.Version.class,
    name = "sign",
    description = "Sign a CSR; the identity comes from --role/--name/--dns/--ip, not the CSR.")
final class SignCommand extends PkiCommand {
  @Mixin IdentityOptions identity;

  @Option(names = "--csr", required = true, paramLabel = "FILE", description = "The CSR (PEM).")
  Path csrFile;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE.pem",
      description = "Certificate to write (replaced if present, e.g. when renewing).")
  Path outFile;

  @Override
  void run(PrintWriter out) throws IOException {
    identity.check();
    CertificateAuthority ca = CertificateAuthority.load(identity.caDir, clock());
    PKCS10CertificationRequest csr = KeyRequest.readCsr(csrFile);
    X509Certificate cert =
        ca.sign(
            csr, identity.role, identity.name, identity.dns(), identity.ips(), identity.validity());
    Pem.writeCertificates(outFile, List.of(cert));
    out.println("Signed " + Identities.spiffeIdOf(cert).orElseThrow() + " -> " + outFile);
    out.println("  key:         " + Identities.keyFingerprint(cert.getPublicKey().getEncoded()));
    out.println("  valid until: " + cert.getNotAfter().toInstant());
    out.println("  thumbprint:  " + Identities.thumbprint(cert));
  }
}
