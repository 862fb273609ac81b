package io.failback.common.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.Pem;
import io.failback.certs.Role;
import io.failback.common.testing.ForgedCertificates;
import io.failback.common.testing.TestPki;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerIdentityTest {
  @TempDir Path dir;

  private static X509Certificate leaf(TlsFiles files) throws Exception {
    return Pem.readCertificates(files.certificate()).get(0);
  }

  @Test
  void parsesEachRole() throws Exception {
    TestPki pki = TestPki.create(dir);
    PeerIdentity agent = PeerIdentity.of(leaf(pki.agent("HV-01")), TestPki.TRUST_DOMAIN);
    assertEquals(Role.AGENT, agent.role());
    assertEquals("hv-01", agent.name());
    assertEquals("spiffe://failback.test/agent/hv-01", agent.spiffeId());
    assertEquals(Role.OPERATOR,
        PeerIdentity.of(leaf(pki.operator("ops")), TestPki.TRUST_DOMAIN).role());
    assertEquals(Role.CONTROLLER,
        PeerIdentity.of(leaf(pki.controller()), TestPki.TRUST_DOMAIN).role());
  }

  @Test
  void refusesAnotherTrustDomain() throws Exception {
    TestPki pki = TestPki.create(dir);
    IdentityException e = assertThrows(IdentityException.class,
        () -> PeerIdentity.of(leaf(pki.agent("hv-01")), "elsewhere.example"));
    assertTrue(e.getMessage().contains("trust domain 'failback.test'"), e.getMessage());
  }

  @Test
  void refusesACertificateWithoutSpiffeId() throws Exception {
    TestPki pki = TestPki.create(dir);
    // The CA's own certificate carries only the bare trust-domain URI, not a role.
    X509Certificate ca = Pem.readCertificates(pki.caCertificate()).get(0);
    assertThrows(IdentityException.class, () -> PeerIdentity.of(ca, TestPki.TRUST_DOMAIN));
    assertEquals(TestPki.TRUST_DOMAIN, TrustDomain.of(List.of(ca)));
  }

  @Test
  void refusesEveryIdThatIsNotInCanonicalForm() throws Exception {
    TestPki pki = TestPki.create(dir);
    String base = "spiffe://" + TestPki.TRUST_DOMAIN;
    // The control: the same forging accepts a canonical id, so only the spelling is refused.
    X509Certificate canonical = ForgedCertificates.read(
        ForgedCertificates.client(pki, dir, "canonical", base + "/agent/hv-01", false));
    assertEquals("hv-01", PeerIdentity.of(canonical, TestPki.TRUST_DOMAIN).name());
    String[] hostile = {
        "/agent/%2e%2e", "/agent/..", "/agent/hv-01/../../operator/root", "/agent//hv-01",
        "/agent/hv-01/", "/agent/HV-01", "/agent/hv-01?x", "/agent/hv-01#x", "/operator/%61dmin"};
    for (int i = 0; i < hostile.length; i++) {
      X509Certificate cert = ForgedCertificates.read(
          ForgedCertificates.client(pki, dir, "hostile-" + i, base + hostile[i], false));
      IdentityException e = assertThrows(IdentityException.class,
          () -> PeerIdentity.of(cert, TestPki.TRUST_DOMAIN), hostile[i]);
      assertTrue(e.getMessage().contains("not in canonical form"), e.getMessage());
    }
    for (String id : new String[] {"spiffe://FAILBACK.test/agent/hv-01",
        "spiffe://user@failback.test/agent/hv-01", "spiffe://failback.test:8443/agent/hv-01"}) {
      X509Certificate cert = ForgedCertificates.read(
          ForgedCertificates.client(pki, dir, "authority", id, false));
      assertThrows(IdentityException.class, () -> PeerIdentity.of(cert, TestPki.TRUST_DOMAIN),
          id);
    }
  }

  @Test
  void chainValidatorRefusesALeafThatClaimsToBeACa() throws Exception {
    TestPki pki = TestPki.create(dir);
    X509Certificate[] trusted = {Pem.readCertificates(pki.caCertificate()).get(0)};
    String id = "spiffe://" + TestPki.TRUST_DOMAIN + "/operator/ops";
    X509Certificate ca = ForgedCertificates.read(
        ForgedCertificates.client(pki, dir, "ca", id, true));
    X509Certificate leaf = ForgedCertificates.read(
        ForgedCertificates.client(pki, dir, "leaf", id, false));

    assertNull(new ChainValidator(() -> trusted).problemAt(List.of(leaf), Instant.now()));
    String problem = new ChainValidator(() -> trusted).problemAt(List.of(ca), Instant.now());
    assertTrue(problem.contains("claims to be a CA"), problem);
  }

  @Test
  void chainValidatorReportsExpiryAndRemovedTrust() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("a"));
    TestPki other = TestPki.create(dir.resolve("b"));
    Instant now = Instant.now();
    X509Certificate agent = leaf(pki.issue(Role.AGENT, "hv-01", now.minusSeconds(60),
        now.plus(Duration.ofHours(1))));
    X509Certificate[] trusted = {Pem.readCertificates(pki.caCertificate()).get(0)};
    X509Certificate[] otherTrust = {Pem.readCertificates(other.caCertificate()).get(0)};

    assertNull(new ChainValidator(() -> trusted).problemAt(List.of(agent), now));
    String expired = new ChainValidator(() -> trusted)
        .problemAt(List.of(agent), now.plus(Duration.ofHours(2)));
    assertTrue(expired.contains("expired"), expired);
    String untrusted = new ChainValidator(() -> otherTrust).problemAt(List.of(agent), now);
    assertTrue(untrusted.contains("no longer validates"), untrusted);
  }
}
