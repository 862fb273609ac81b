package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code show}: prints what a certificate file says about each certificate in it. */
@Command(name = "show", description = "Describe the certificates in a PEM file.")
final class ShowCommand extends PkiCommand {
  @Parameters(paramLabel = "FILE.pem", description = "Certificate file.")
  Path file;

  @Override
  void run(PrintWriter out) throws IOException {
    List<X509Certificate> certs = Pem.readCertificates(file);
    for (int i = 0; i < certs.size(); i++) {
      if (i > 0) {
        out.println();
      }
      CertificateDescription.of(certs.get(i)).forEach(out::println);
    }
  }
}
