package io.failback.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentitiesTest {
  @Test
  void spiffeIdsPerRole() {
    assertEquals(
        "spiffe://failback.local/controller",
        Identities.spiffeId("failback.local", Role.CONTROLLER, "ignored"));
    assertEquals(
        "spiffe://failback.local/controller",
        Identities.spiffeId("failback.local", Role.CONTROLLER, null));
    assertEquals(
        "spiffe://failback.local/agent/hv-01.corp",
        Identities.spiffeId("failback.local", Role.AGENT, "HV-01.Corp"));
    assertEquals(
        "spiffe://failback.local/operator/alice_b",
        Identities.spiffeId("failback.local", Role.OPERATOR, "Alice_B"));
  }

  @Test
  void rolesParseFromPathSegments() {
    for (Role role : Role.values()) {
      assertEquals(role, Role.fromPathSegment(role.pathSegment().toUpperCase()));
    }
    assertMessage("unknown role \"admin\"", () -> Role.fromPathSegment("admin"));
  }

  @Test
  void invalidNamesAreRefusedWithTheReason() {
    assertMessage("agent name must not be empty", () -> agent(""));
    assertMessage("contains ' '", () -> agent("hv 01"));
    assertMessage("contains '/'", () -> agent("hv/01"));
    assertMessage("contains 'é'", () -> agent("hé"));
    assertMessage("must not start with '.' or '-'", () -> agent(".hidden"));
    assertMessage("must not start with '.' or '-'", () -> agent("-rf"));
    assertMessage("is 64 characters long; at most 63", () -> agent("a".repeat(64)));
    assertEquals("spiffe://td/agent/" + "a".repeat(63), agent("A".repeat(63)));
    assertMessage(
        "operator name \"bob smith\"", () -> Identities.spiffeId("td", Role.OPERATOR, "bob smith"));
  }

  @Test
  void invalidTrustDomainsAreRefusedWithTheReason() {
    assertMessage(
        "must be lower case", () -> Identities.spiffeId("Failback.local", Role.CONTROLLER, null));
    assertMessage(
        "without the spiffe:// prefix",
        () -> Identities.spiffeId("spiffe://td", Role.CONTROLLER, null));
    assertMessage(
        "has an empty label", () -> Identities.spiffeId("failback..local", Role.CONTROLLER, null));
    assertMessage("contains '_'", () -> Identities.spiffeId("fail_back", Role.CONTROLLER, null));
    assertMessage(
        "starts or ends with '-'", () -> Identities.spiffeId("a.-b", Role.CONTROLLER, null));
    assertMessage(
        "trust domain must not be empty", () -> Identities.spiffeId("", Role.CONTROLLER, null));
  }

  @Test
  void dnsNamesAndIpAddressesAreChecked() throws Exception {
    assertEquals("controller.example.com", Names.dnsName("Controller.Example.COM"));
    assertMessage("is an IP address", () -> Names.dnsName("10.0.0.1"));
    assertMessage("wildcards are not allowed", () -> Names.dnsName("*.example.com"));
    assertEquals(InetAddress.getByName("10.1.2.3"), Names.ipAddress("10.1.2.3"));
    assertEquals(InetAddress.getByName("::1"), Names.ipAddress("::1"));
    assertMessage("not a literal IPv4 or IPv6", () -> Names.ipAddress("10.1.2"));
    assertMessage("not a literal IPv4 or IPv6", () -> Names.ipAddress("256.1.2.3"));
    assertMessage("not a literal IPv4 or IPv6", () -> Names.ipAddress("localhost"));
    assertMessage("not a literal IPv4 or IPv6", () -> Names.ipAddress("fe80::1%eth0"));
  }

  @Test
  void thumbprintIsLowerCaseSha1Hex(@TempDir Path dir) throws Exception {
    PkiDirectory pki = PkiDirectory.create(dir, "failback.local", TestCerts.CLOCK);
    String thumbprint = Identities.thumbprint(pki.authority().certificate());
    assertTrue(thumbprint.matches("[0-9a-f]{40}"), thumbprint);
  }

  private static String agent(String name) {
    return Identities.spiffeId("td", Role.AGENT, name);
  }

  static void assertMessage(String expected, Runnable action) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
    assertTrue(
        e.getMessage().contains(expected),
        () -> "expected \"" + expected + "\" in \"" + e.getMessage() + "\"");
  }
}
