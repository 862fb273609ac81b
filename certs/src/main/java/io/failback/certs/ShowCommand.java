package io.failback.certs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code show}: prints what a PEM file says about each certificate or CRL in it. */
@Command(mixinStandardHelpOptions = true, versionProvider = PkiCli.Version.class,
    name = "show", description = "Describe the certificates or CRLs in a PEM file.")
final class ShowCommand extends PkiCommand {
  @Parameters(paramLabel = "FILE.pem", description = "Certificate or CRL file.")
  Path file;

  @Override
  void run(PrintWriter out) throws IOException {
    String text = Files.readString(file, StandardCharsets.ISO_8859_1);
    if (text.contains("-----BEGIN " + Crl.PEM_TYPE + "-----")) {
      List<Crl> crls = Crl.read(file);
      for (int i = 0; i < crls.size(); i++) {
        if (i > 0) {
          out.println();
        }
        CrlDescription.of(crls.get(i), clock().instant()).forEach(out::println);
      }
      if (!text.contains("-----BEGIN CERTIFICATE-----")) {
        return;
      }
      out.println();
    }
    List<X509Certificate> certs = Pem.readCertificates(file);
    for (int i = 0; i < certs.size(); i++) {
      if (i > 0) {
        out.println();
      }
      CertificateDescription.of(certs.get(i)).forEach(out::println);
    }
  }
}
