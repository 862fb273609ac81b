package io.failback.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.Pem;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A key and certificate are taken only as a pair that matches. */
class TlsMaterialTest {
  @TempDir Path dir;
  private TlsFiles inUse;
  private TlsFiles next;

  @BeforeEach
  void twoIdentitiesOfOneHost() throws IOException {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    inUse = TestPki.copy(pki.agent("hv-01"), dir.resolve("in-use"));
    next = TestPki.copy(pki.agent("hv-01"), dir.resolve("next"));
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsRefusedAtStartNamingBothFiles() throws IOException {
    copy(next.privateKey(), inUse.privateKey());

    IOException e = assertThrows(IOException.class, () -> TlsMaterial.load(inUse, true));

    assertTrue(e.getMessage().contains("the private key " + inUse.privateKey()
        + " is not the key of the certificate " + inUse.certificate()), e.getMessage());
  }

  @Test
  void aRotationSeenHalfDoneKeepsThePairInUseUntilBothFilesAreThere() throws IOException {
    TlsMaterial material = TlsMaterial.load(inUse, true);
    X509Certificate before = material.chain()[0];

    copy(next.privateKey(), inUse.privateKey());
    assertFalse(material.reloadIfChanged(), "a new key beside the old certificate");
    assertEquals(before, material.chain()[0]);

    copy(next.certificate(), inUse.certificate());
    assertTrue(material.reloadIfChanged());
    assertEquals(leaf(next), material.chain()[0]);
  }

  @Test
  void aRenewalStoppedBetweenItsRenamesIsCompletedAtStart() throws IOException {
    // What a renewal leaves when the process dies after renaming the key: the new key in place,
    // its certificate still beside the old one.
    copy(next.certificate(), inUse.certificate().resolveSibling(
        inUse.certificate().getFileName() + ".next"));
    copy(next.privateKey(), inUse.privateKey());

    TlsMaterial material = TlsMaterial.load(inUse, true);

    assertEquals(leaf(next), material.chain()[0]);
    assertEquals(leaf(next), leaf(inUse));
    try (var files = Files.list(inUse.certificate().getParent())) {
      assertEquals(2, files.count(), "nothing left beside the pair");
    }
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
  }

  private static X509Certificate leaf(TlsFiles files) throws IOException {
    return Pem.readCertificates(files.certificate()).get(0);
  }
}
