package io.failback.certs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which certificates may receive a wrapped job key. */
class EncryptionCertificatesTest {
  private static EncryptionCertificates.Issued issued;

  @BeforeAll
  static void create() {
    issued = EncryptionCertificates.create("hv01", Duration.ofDays(30), TestCerts.CLOCK);
  }

  @Test
  void freshCertificateIsUsableUntilItExpires() {
    EncryptionCertificates.checkUsable(issued.certificate(), TestCerts.NOW);
    IllegalArgumentException expired = assertThrows(IllegalArgumentException.class,
        () -> EncryptionCertificates.checkUsable(issued.certificate(),
            TestCerts.NOW.plus(Duration.ofDays(31))));
    assertTrue(expired.getMessage().contains("is not valid at"), expired.getMessage());
  }

  @Test
  void tlsIdentityIsNotAnEncryptionCertificate(@TempDir Path dir) throws Exception {
    PkiDirectory pki = PkiDirectory.create(dir, "failback.local", TestCerts.CLOCK);
    var agent = pki.issue(Role.AGENT, "hv01", List.of(), List.of(), Duration.ofDays(1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EncryptionCertificates.checkUsable(agent.x509(), TestCerts.NOW));
    assertTrue(e.getMessage().contains("does not allow keyEncipherment"), e.getMessage());
  }

  @Test
  void onlyItsOwnPrivateKeyMatches() {
    EncryptionCertificates.Issued other =
        EncryptionCertificates.create("hv02", Duration.ofDays(1), TestCerts.CLOCK);
    assertTrue(EncryptionCertificates.matches(issued.certificate(),
        issued.keyPair().getPrivate()));
    assertFalse(EncryptionCertificates.matches(issued.certificate(),
        other.keyPair().getPrivate()));
    assertFalse(EncryptionCertificates.matches(issued.certificate(),
        KeyRequest.newKeyPair().getPrivate()));
  }
}
