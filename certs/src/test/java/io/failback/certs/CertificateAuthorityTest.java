package io.failback.certs;

import static io.failback.certs.IdentitiesTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
  private static final Duration YEAR = Duration.ofDays(365);

  @TempDir Path dir;
  private CertificateAuthority ca;

  @BeforeEach
  void createCa() throws Exception {
    ca = CertificateAuthority.create(dir.resolve("ca"), "failback.local", YEAR, TestCerts.CLOCK);
  }

  @Test
  void caIsSelfSignedWithPathLengthZeroAndRecordsTheTrustDomain() throws Exception {
    X509Certificate cert = ca.certificate();
    assertEquals(0, cert.getBasicConstraints());
    boolean[] usage = cert.getKeyUsage();
    assertTrue(usage[5] && usage[6], "keyCertSign and cRLSign");
    assertFalse(usage[0], "no digitalSignature");
    assertEquals(List.of("spiffe://failback.local"), TestCerts.uris(cert));
    assertEquals("SHA256withECDSA", cert.getSigAlgName());
    cert.verify(cert.getPublicKey());
    assertEquals(TestCerts.NOW.plus(YEAR), cert.getNotAfter().toInstant());
  }

  @Test
  void agentCertificateCarriesOnlyItsSpiffeIdAndClientAuth() throws Exception {
    X509Certificate cert = signFresh(Role.AGENT, "HV01", List.of(), List.of());
    assertEquals(List.of("spiffe://failback.local/agent/hv01"), TestCerts.uris(cert));
    assertEquals(List.of(), TestCerts.dnsNames(cert));
    assertEquals(List.of(), TestCerts.ips(cert));
    assertEquals(List.of(TestCerts.CLIENT_AUTH), cert.getExtendedKeyUsage());
    assertFalse(cert.getExtendedKeyUsage().contains(TestCerts.SERVER_AUTH));
    assertEquals(-1, cert.getBasicConstraints());
    assertArrayEquals(
        new boolean[] {true, false, false, false, false, false, false, false, false},
        cert.getKeyUsage());
  }

  @Test
  void controllerCertificateHasDnsAndIpSansAndServerAuthOnly() throws Exception {
    X509Certificate cert =
        signFresh(
            Role.CONTROLLER,
            "ignored",
            List.of("Controller.Example.com", "localhost"),
            List.of("10.0.0.5", "127.0.0.1"));
    assertEquals(List.of("spiffe://failback.local/controller"), TestCerts.uris(cert));
    assertEquals(List.of("controller.example.com", "localhost"), TestCerts.dnsNames(cert));
    assertEquals(List.of("10.0.0.5", "127.0.0.1"), TestCerts.ips(cert));
    assertEquals(List.of(TestCerts.SERVER_AUTH), cert.getExtendedKeyUsage());
  }

  @Test
  void operatorCertificateCarriesOnlyItsSpiffeIdAndClientAuth() throws Exception {
    X509Certificate cert = signFresh(Role.OPERATOR, "alice", List.of(), List.of());
    assertEquals(List.of("spiffe://failback.local/operator/alice"), TestCerts.uris(cert));
    assertEquals(List.of(TestCerts.CLIENT_AUTH), cert.getExtendedKeyUsage());
    assertEquals("CN=alice,OU=operator,O=failback.local", cert.getSubjectX500Principal().getName());
  }

  @Test
  void chainsVerifyAgainstTheCaWithPkix() throws Exception {
    for (Role role : Role.values()) {
      List<String> dns = role == Role.CONTROLLER ? List.of("localhost") : List.of();
      X509Certificate leaf = signFresh(role, "host1", dns, List.of());
      TestCerts.validateChain(leaf, ca.certificate(), TestCerts.NOW);
    }
  }

  @Test
  void chainFailsAgainstAnotherCa() throws Exception {
    CertificateAuthority other =
        CertificateAuthority.create(dir.resolve("other"), "failback.local", YEAR, TestCerts.CLOCK);
    X509Certificate leaf = signFresh(Role.AGENT, "hv01", List.of(), List.of());
    assertThrows(
        CertPathValidatorException.class,
        () -> TestCerts.validateChain(leaf, other.certificate(), TestCerts.NOW));
  }

  @Test
  void csrSignedByAnotherKeyIsRefused() throws Exception {
    KeyPair claimed = KeyRequest.newKeyPair();
    KeyPair signer = KeyRequest.newKeyPair();
    PKCS10CertificationRequest csr =
        new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=hv01"), claimed.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));
    assertMessage("does not verify", () -> sign(csr, Role.AGENT, "hv01"));
  }

  @Test
  void tamperedCsrIsRefused() throws Exception {
    byte[] der = KeyRequest.generate("hv01").csr().getEncoded();
    der[der.length - 5] ^= 0x01; // inside the signature value
    PKCS10CertificationRequest csr = new PKCS10CertificationRequest(der);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> sign(csr, Role.AGENT, "hv01"));
    assertTrue(e.getMessage().contains("CSR's signature"), e.getMessage());
  }

  @Test
  void weakRsaKeyIsRefused() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    KeyPair keys = rsa.generateKeyPair();
    PKCS10CertificationRequest csr =
        new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=old"), keys.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate()));
    assertMessage("RSA key has 1024 bits", () -> sign(csr, Role.AGENT, "old"));
  }

  @Test
  void identityRequestedInTheCsrIsIgnored() throws Exception {
    KeyPair keys = KeyRequest.newKeyPair();
    ExtensionsGenerator requested = new ExtensionsGenerator();
    requested.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(
            new GeneralName(
                GeneralName.uniformResourceIdentifier, "spiffe://failback.local/controller")));
    PKCS10CertificationRequest csr =
        new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=controller"), keys.getPublic())
            .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, requested.generate())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
    X509Certificate cert = sign(csr, Role.AGENT, "hv01");
    assertEquals(List.of("spiffe://failback.local/agent/hv01"), TestCerts.uris(cert));
    assertEquals("CN=hv01,OU=agent,O=failback.local", cert.getSubjectX500Principal().getName());
    assertEquals(List.of(TestCerts.CLIENT_AUTH), cert.getExtendedKeyUsage());
  }

  @Test
  void dnsNamesAndIpsAreForTheControllerOnly() {
    assertMessage(
        "agent certificates carry only their SPIFFE id",
        () -> signFresh(Role.AGENT, "hv01", List.of("hv01.example.com"), List.of()));
    assertMessage(
        "operator certificates carry only their SPIFFE id",
        () -> signFresh(Role.OPERATOR, "alice", List.of(), List.of("10.0.0.1")));
  }

  @Test
  void invalidNameIsRefusedWithAClearMessage() {
    assertMessage(
        "agent name \"hv 01\" contains ' '",
        () -> signFresh(Role.AGENT, "hv 01", List.of(), List.of()));
  }

  @Test
  void validityMustFitInsideTheCa() {
    PKCS10CertificationRequest csr = KeyRequest.generate("hv01").csr();
    assertMessage(
        "after the CA itself",
        () -> call(() -> ca.sign(csr, Role.AGENT, "hv01", List.of(), List.of(), YEAR.plusDays(1))));
    assertMessage(
        "must be before notAfter",
        () ->
            call(
                () ->
                    ca.sign(
                        csr,
                        Role.AGENT,
                        "hv01",
                        List.of(),
                        List.of(),
                        TestCerts.NOW,
                        TestCerts.NOW)));
  }

  @Test
  void durationValidityStartsFiveMinutesBeforeTheClock() throws Exception {
    X509Certificate cert = sign(KeyRequest.generate("hv01").csr(), Role.AGENT, "hv01");
    assertEquals(TestCerts.NOW.minus(Duration.ofMinutes(5)), cert.getNotBefore().toInstant());
    assertEquals(TestCerts.NOW.plus(Duration.ofDays(30)), cert.getNotAfter().toInstant());
  }

  @Test
  void explicitValidityIsUsedAsGiven() throws Exception {
    Instant from = TestCerts.NOW.minus(Duration.ofDays(10));
    Instant until = TestCerts.NOW.minus(Duration.ofDays(1));
    X509Certificate expired =
        ca.sign(KeyRequest.generate("x").csr(), Role.AGENT, "x", List.of(), List.of(), from, until);
    assertEquals(from, expired.getNotBefore().toInstant());
    assertEquals(until, expired.getNotAfter().toInstant());
  }

  @Test
  void createRefusesToOverwriteAnExistingCa() throws Exception {
    Path caDir = dir.resolve("ca");
    byte[] key = Files.readAllBytes(caDir.resolve("ca.key"));
    byte[] cert = Files.readAllBytes(caDir.resolve("ca.pem"));
    assertThrows(
        FileAlreadyExistsException.class,
        () -> CertificateAuthority.create(caDir, "failback.local", YEAR, TestCerts.CLOCK));
    assertArrayEquals(key, Files.readAllBytes(caDir.resolve("ca.key")));
    assertArrayEquals(cert, Files.readAllBytes(caDir.resolve("ca.pem")));

    Files.delete(caDir.resolve("ca.pem"));
    assertThrows(
        FileAlreadyExistsException.class,
        () -> CertificateAuthority.create(caDir, "failback.local", YEAR, TestCerts.CLOCK));
  }

  @Test
  void loadRecoversTheTrustDomainAndKey() throws Exception {
    CertificateAuthority loaded = CertificateAuthority.load(dir.resolve("ca"), TestCerts.CLOCK);
    assertEquals("failback.local", loaded.trustDomain());
    assertEquals(ca.certificate(), loaded.certificate());
    X509Certificate leaf =
        loaded.sign(
            KeyRequest.generate("hv02").csr(),
            Role.AGENT,
            "hv02",
            List.of(),
            List.of(),
            Duration.ofDays(1));
    TestCerts.validateChain(leaf, ca.certificate(), TestCerts.NOW);
  }

  @Test
  void loadRefusesAKeyThatDoesNotBelongToTheCertificate() throws Exception {
    CertificateAuthority.create(dir.resolve("other"), "other.local", YEAR, TestCerts.CLOCK);
    Files.copy(
        dir.resolve("other/ca.key"), dir.resolve("ca/ca.key"), StandardCopyOption.REPLACE_EXISTING);
    IOException e =
        assertThrows(IOException.class, () -> CertificateAuthority.load(dir.resolve("ca")));
    assertTrue(e.getMessage().contains("does not belong to"), e.getMessage());
  }

  private X509Certificate signFresh(Role role, String name, List<String> dns, List<String> ips) {
    return call(
        () -> ca.sign(KeyRequest.generate("x").csr(), role, name, dns, ips, Duration.ofDays(30)));
  }

  private X509Certificate sign(PKCS10CertificationRequest csr, Role role, String name) {
    return call(() -> ca.sign(csr, role, name, List.of(), List.of(), Duration.ofDays(30)));
  }

  /** Runs a signing call, letting IllegalArgumentException through unchanged. */
  private static X509Certificate call(SignCall call) {
    try {
      return call.sign();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private interface SignCall {
    X509Certificate sign() throws IOException;
  }
}
