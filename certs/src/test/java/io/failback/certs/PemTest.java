package io.failback.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {
  @TempDir Path dir;

  @Test
  void certificateBundlesRoundTripInOrder() throws Exception {
    PkiDirectory pki = PkiDirectory.create(dir.resolve("pki"), "failback.local", TestCerts.CLOCK);
    X509Certificate leaf =
        pki.issue(Role.AGENT, "hv01", List.of(), List.of(), Duration.ofDays(1)).x509();
    X509Certificate ca = pki.authority().certificate();
    Path bundle = dir.resolve("bundle.pem");
    Pem.writeCertificates(bundle, List.of(leaf, ca));
    assertEquals(List.of(leaf, ca), Pem.readCertificates(bundle));
  }

  @Test
  void filesWithoutTheExpectedBlockAreRefused() throws Exception {
    Path text = dir.resolve("notes.pem");
    Files.writeString(text, "not a certificate\n");
    IOException noCert = assertThrows(IOException.class, () -> Pem.readCertificates(text));
    assertTrue(noCert.getMessage().contains("holds no PEM certificate"), noCert.getMessage());
    IOException noKey = assertThrows(IOException.class, () -> Pem.readPrivateKey(text));
    assertTrue(noKey.getMessage().contains("holds no PEM private key"), noKey.getMessage());
  }
}
