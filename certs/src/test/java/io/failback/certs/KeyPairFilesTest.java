package io.failback.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A renewal's key and certificate files, stopped at each point between its writes: afterwards
 * they always hold a pair that matches, the new one once its key was written.
 */
class KeyPairFilesTest {
  @TempDir Path dir;
  private CertificateAuthority ca;
  private Path keyFile;
  private Path certFile;
  private KeyRequest old;
  private KeyRequest renewed;
  private String renewedPem;

  @BeforeEach
  void oldPairInPlace() throws Exception {
    ca = CertificateAuthority.create(dir.resolve("ca"), "failback.local", Duration.ofDays(365),
        TestCerts.CLOCK);
    keyFile = dir.resolve("agent.key");
    certFile = dir.resolve("agent.pem");
    old = KeyRequest.generate("old");
    old.writeKey(keyFile);
    Pem.writeCertificates(certFile, List.of(issue(old)));
    renewed = KeyRequest.generate("renewed");
    renewedPem = Pem.certificatesText(List.of(issue(renewed)));
  }

  @Test
  void aRenewalReplacesBothFilesAndLeavesNothingBeside() throws Exception {
    renewed.writeWithCertificate(keyFile, certFile, renewedPem);

    assertOnlyThePairOf(renewed);
    assertEquals(Optional.empty(), KeyPairFiles.finishInterrupted(keyFile, certFile));
  }

  @Test
  void aCertificateForAnotherKeyIsRefusedAndChangesNothing() throws Exception {
    String other = Pem.certificatesText(List.of(issue(KeyRequest.generate("other"))));
    byte[] keyBefore = Files.readAllBytes(keyFile);
    byte[] certBefore = Files.readAllBytes(certFile);

    assertThrows(java.io.IOException.class,
        () -> renewed.writeWithCertificate(keyFile, certFile, other));

    assertTrue(java.util.Arrays.equals(keyBefore, Files.readAllBytes(keyFile)));
    assertTrue(java.util.Arrays.equals(certBefore, Files.readAllBytes(certFile)));
    assertEquals(List.of("agent.key", "agent.pem", "ca"), names());
  }

  @Test
  void stoppedAfterTheNewCertificateOnlyKeepsTheOldPair() throws Exception {
    Pem.writeText(KeyPairFiles.next(certFile), renewedPem);

    assertTrue(KeyPairFiles.finishInterrupted(keyFile, certFile).orElseThrow()
        .startsWith("discarded the certificate of a renewal"));
    assertOnlyThePairOf(old);
  }

  @Test
  void stoppedWithBothNewFilesBesideCompletesTheRenewal() throws Exception {
    leaveBeside(renewedPem, renewed);

    assertTrue(KeyPairFiles.finishInterrupted(keyFile, certFile).orElseThrow()
        .startsWith("completed a renewal"));
    assertOnlyThePairOf(renewed);
  }

  @Test
  void stoppedBetweenTheTwoRenamesCompletesTheRenewal() throws Exception {
    Pem.writeText(KeyPairFiles.next(certFile), renewedPem);
    renewed.writeKey(keyFile);
    assertFalse(KeyPairFiles.matches(renewed.keyPair().getPrivate(),
        Pem.readCertificates(certFile).get(0).getPublicKey()), "the state a crash would leave");

    assertTrue(KeyPairFiles.finishInterrupted(keyFile, certFile).isPresent());
    assertOnlyThePairOf(renewed);
  }

  @Test
  void aNewKeyBesideACertificateForAnotherKeyIsDiscarded() throws Exception {
    leaveBeside(renewedPem, KeyRequest.generate("stray"));

    KeyPairFiles.finishInterrupted(keyFile, certFile);

    assertOnlyThePairOf(old);
  }

  @Test
  void anUnreadableNewCertificateIsDiscarded() throws Exception {
    leaveBeside("-----BEGIN CERTIFICATE-----\n!!\n", renewed);

    assertTrue(KeyPairFiles.finishInterrupted(keyFile, certFile).orElseThrow()
        .startsWith("discarded an unreadable"));
    assertOnlyThePairOf(old);
  }

  @Test
  void keysOfOtherPairsAndAlgorithmsDoNotMatch() throws Exception {
    X509Certificate oldCert = Pem.readCertificates(certFile).get(0);
    assertTrue(KeyPairFiles.matches(old.keyPair().getPrivate(), oldCert.getPublicKey()));
    assertFalse(KeyPairFiles.matches(renewed.keyPair().getPrivate(), oldCert.getPublicKey()));
    PrivateKey rsa = EncryptionCertificates.create("hv-01", Duration.ofDays(1), TestCerts.CLOCK)
        .keyPair().getPrivate();
    assertFalse(KeyPairFiles.matches(rsa, oldCert.getPublicKey()));
  }

  /** What a renewal stopped before its renames leaves: both new files beside the old ones. */
  private void leaveBeside(String certText, KeyRequest key) throws Exception {
    Files.writeString(KeyPairFiles.next(certFile), certText);
    key.writeKey(KeyPairFiles.next(keyFile));
  }

  private X509Certificate issue(KeyRequest request) throws Exception {
    return ca.sign(request.csr(), Role.AGENT, "hv-01", List.of(), List.of(),
        Duration.ofDays(7));
  }

  /** The files hold {@code expected}'s key and certificate, and nothing is left beside them. */
  private void assertOnlyThePairOf(KeyRequest expected) throws Exception {
    assertEquals(List.of("agent.key", "agent.pem", "ca"), names());
    X509Certificate leaf = Pem.readCertificates(certFile).get(0);
    PrivateKey key = Pem.readPrivateKey(keyFile);
    assertTrue(KeyPairFiles.matches(key, leaf.getPublicKey()), "key and certificate match");
    assertEquals(expected.keyPair().getPublic(), leaf.getPublicKey());
  }

  private List<String> names() throws Exception {
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }
}
