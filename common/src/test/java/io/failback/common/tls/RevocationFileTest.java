package io.failback.common.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.Crl;
import io.failback.certs.Pem;
import io.failback.common.testing.ForgedCertificates;
import io.failback.common.testing.LogCapture;
import io.failback.common.testing.MutableClock;
import io.failback.common.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which CRL files are enforced, and that a bad replacement never lets a revoked peer back. */
class RevocationFileTest {
  private final MutableClock clock = MutableClock.startingNow();
  private LogCapture log;
  @TempDir Path dir;
  TestPki pki;
  X509Certificate[] anchors;
  TlsFiles revoked;
  TlsFiles kept;

  @BeforeEach
  void setUp() throws Exception {
    log = LogCapture.of(RevocationFile.class);
    pki = TestPki.create(dir.resolve("pki"));
    anchors = new X509Certificate[] {Pem.readCertificates(pki.caCertificate()).get(0)};
    revoked = TestPki.copy(pki.agent("hv-01"), dir.resolve("revoked"));
    kept = pki.agent("hv-02");
  }

  @AfterEach
  void tearDown() {
    log.close();
  }

  private String lastWarning() {
    List<String> messages = log.messages();
    return messages.get(messages.size() - 1);
  }

  private RevocationFile load(boolean required) throws IOException {
    return RevocationFile.load(pki.crlFile(), required, () -> anchors, clock);
  }

  private static X509Certificate leaf(TlsFiles files) throws IOException {
    return Pem.readCertificates(files.certificate()).get(0);
  }

  private void assertEnforced(RevocationFile crl) throws IOException {
    assertNotNull(crl.current().problemWith(leaf(revoked)));
    assertNull(crl.current().problemWith(leaf(kept)));
  }

  @Test
  void absentDefaultIsWatchedUntilItAppears() throws Exception {
    RevocationFile crl = load(false);
    assertSame(Revocations.NONE, crl.current());
    assertFalse(crl.reloadIfChanged());

    pki.revoke(revoked);
    assertTrue(crl.reloadIfChanged());
    assertEnforced(crl);
    assertFalse(crl.reloadIfChanged(), "nothing changed");
  }

  @Test
  void aCrlThatCannotBeEnforcedStopsTheStart() throws Exception {
    assertThrows(NoSuchFileException.class, () -> load(true));
    Files.writeString(pki.crlFile(), "half-copied");
    IOException e = assertThrows(IOException.class, () -> load(false));
    assertTrue(e.getMessage().contains("cannot enforce the CRL"), e.getMessage());
    Crl.write(pki.crlFile(), List.of(ForgedCertificates.unrevokingCrl(pki)));
    e = assertThrows(IOException.class, () -> load(false));
    assertTrue(e.getMessage().contains("is not signed by that CA's key"), e.getMessage());
  }

  @Test
  void forgedBrokenOrMissingReplacementsKeepTheLastGoodCrl() throws Exception {
    pki.revoke(revoked);
    RevocationFile crl = load(true);

    Crl.write(pki.crlFile(), List.of(ForgedCertificates.unrevokingCrl(pki)));
    assertFalse(crl.reloadIfChanged());
    assertEnforced(crl);
    assertTrue(lastWarning().contains("not signed by that CA's key"),
        log.messages().toString());

    Files.writeString(pki.crlFile(), "-----BEGIN X509 CRL-----\ngarbage\n-----END X509 CRL-----");
    assertFalse(crl.reloadIfChanged());
    assertEnforced(crl);

    Files.delete(pki.crlFile());
    assertFalse(crl.reloadIfChanged());
    assertEnforced(crl);
    assertTrue(lastWarning().contains("is gone; still enforcing"),
        log.messages().toString());
  }

  @Test
  void anOlderCrlIsRefusedSoNothingIsUnrevoked() throws Exception {
    pki.revoke(revoked);
    byte[] first = Files.readAllBytes(pki.crlFile());
    pki.revoke(kept);
    RevocationFile crl = load(true);
    assertNotNull(crl.current().problemWith(leaf(kept)));

    Files.write(pki.crlFile(), first);
    assertFalse(crl.reloadIfChanged());
    assertNotNull(crl.current().problemWith(leaf(kept)), "still revoked by CRL number 2");
    assertTrue(lastWarning().contains("not newer than number 2"),
        log.messages().toString());
  }

  @Test
  void anExpiredCrlStaysInForceWithAWarning() throws Exception {
    pki.revoke(revoked);
    RevocationFile crl = load(true);
    clock.advance(Duration.ofDays(31));
    assertFalse(crl.reloadIfChanged());
    assertEnforced(crl);
    assertTrue(log.messages().stream().anyMatch(w -> w.contains("passed its next update")),
        log.messages().toString());
    int count = log.messages().size();
    crl.reloadIfChanged();
    assertEquals(count, log.messages().size(), "warned once per CRL, not every poll");

    // A CRL that was already expired when it was copied is enforced from the start, too.
    pki.renewCrl(clock.instant().minus(Duration.ofDays(2)), clock.instant().minus(
        Duration.ofDays(1)));
    assertTrue(crl.reloadIfChanged());
    assertEnforced(crl);
    assertEnforced(load(true));
  }

  @Test
  void onlyCrlsOfTrustedCasCount() throws Exception {
    // Another trust domain gives it another name: CAs made in the same second would share one.
    TestPki other = TestPki.create(dir.resolve("other"), "other.test");
    other.revoke(other.agent("x"));
    Files.copy(other.crlFile(), pki.crlFile());
    IOException e = assertThrows(IOException.class, () -> load(false));
    assertTrue(e.getMessage().contains("none of its CRLs is from a trusted CA"), e.getMessage());

    // Both CAs' CRLs in one file, as while rotating: the untrusted one is left out.
    Files.delete(pki.crlFile());
    pki.revoke(revoked);
    List<Crl> both = new ArrayList<>(Crl.read(pki.crlFile()));
    both.addAll(Crl.read(other.crlFile()));
    Crl.write(pki.crlFile(), both);
    assertEnforced(load(true));
    Crl.write(pki.crlFile(), List.of(both.get(0), both.get(0)));
    e = assertThrows(IOException.class, () -> load(true));
    assertTrue(e.getMessage().contains("two CRLs of"), e.getMessage());
  }
}
