package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code issue}: request and sign on one machine, for a key that is used on the CA host. */
@Command(mixinStandardHelpOptions = true, versionProvider = PkiCli.Version.class,
    name = "issue",
    description = "Make a key and sign it on this machine (NAME.key, NAME.pem), e.g. for a demo.")
final class IssueCommand extends PkiCommand {
  @Mixin IdentityOptions identity;

  @Option(names = "--out-dir", required = true, paramLabel = "DIR", description = "Where to write.")
  Path outDir;

  @Override
  void run(PrintWriter out) throws IOException {
    String fileName = identity.check();
    Path keyFile = outDir.resolve(fileName + ".key");
    Path certFile = outDir.resolve(fileName + ".pem");
    SecureFiles.refuseExisting(keyFile);
    SecureFiles.refuseExisting(certFile);
    CertificateAuthority ca = CertificateAuthority.load(identity.caDir, clock());
    KeyRequest request = KeyRequest.generate(fileName);
    X509Certificate cert =
        ca.sign(
            request.csr(),
            identity.role,
            identity.name,
            identity.dns(),
            identity.ips(),
            identity.validity());
    request.writeKey(keyFile);
    try {
      Pem.writeCertificates(certFile, List.of(cert));
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(keyFile);
      throw e;
    }
    out.println("Issued " + Identities.spiffeIdOf(cert).orElseThrow());
    out.println("  certificate: " + certFile);
    out.println("  private key: " + keyFile);
    out.println("  valid until: " + cert.getNotAfter().toInstant());
  }
}
