package io.failback.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTest {
  @Test
  void parsesWhatTheCaWrites() {
    for (Role role : Role.values()) {
      String id = Identities.spiffeId("failback.local", role, "hv-01.corp_2");
      SpiffeId parsed = SpiffeId.parse(id);
      assertEquals(role, parsed.role());
      assertEquals("failback.local", parsed.trustDomain());
      assertEquals(id, parsed.toString());
    }
    assertEquals("hv-01.corp_2",
        SpiffeId.parse("spiffe://failback.local/agent/hv-01.corp_2").name());
    assertEquals("a..", SpiffeId.parse("spiffe://failback.local/agent/a..").name());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "spiffe://failback.local/agent/%2e%2e",
      "spiffe://failback.local/agent/%2E%2E",
      "spiffe://failback.local/agent/hv%2d01",
      "spiffe://failback.local/agent/..",
      "spiffe://failback.local/agent/.",
      "spiffe://failback.local/agent/../operator/root",
      "spiffe://failback.local/agent/./hv-01",
      "spiffe://failback.local/agent//hv-01",
      "spiffe://failback.local/agent/hv-01/",
      "spiffe://failback.local//agent/hv-01",
      "spiffe://failback.local/agent/",
      "spiffe://failback.local/agent",
      "spiffe://failback.local/controller/",
      "spiffe://failback.local/controller/x",
      "spiffe://failback.local/agent/HV-01",
      "spiffe://failback.local/Agent/hv-01",
      "spiffe://Failback.local/agent/hv-01",
      "SPIFFE://failback.local/agent/hv-01",
      "spiffe://failback.local/agent/hv-01?role=operator",
      "spiffe://failback.local/agent/hv-01#x",
      "spiffe://alice@failback.local/agent/hv-01",
      "spiffe://failback.local:443/agent/hv-01",
      "spiffe://failback.local./agent/hv-01",
      "spiffe:///agent/hv-01",
      "spiffe://failback.local",
      "spiffe:failback.local/agent/hv-01",
      "https://failback.local/agent/hv-01",
      "spiffe://failback.local/agent/hv 01",
      "spiffe://failback.local/agent/h\u00e9",
      "spiffe://failback.local/agent/-rf",
      "spiffe://failback.local/agent/hv\n01",
      "spiffe://failback.local/admin/hv-01",
      "spiffe://failback.local/agent/hv-01\\..\\x",
  })
  void refusesEveryOtherSpelling(String id) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse(id));
    assertTrue(e.getMessage().contains("is not in canonical form"), e.getMessage());
  }

  @Test
  void refusalQuotesABoundedPrintableId() {
    String hostile = "spiffe://failback.local/agent/\u0007" + "x".repeat(500);
    String message =
        assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse(hostile)).getMessage();
    assertTrue(message.length() < 250, message);
    assertTrue(message.contains("/agent/?xxx"), message);
    assertTrue(message.contains("...'"), message);
  }

  @Test
  void nameTooLongIsRefused() {
    assertEquals(63, SpiffeId.parse("spiffe://td/agent/" + "a".repeat(63)).name().length());
    assertThrows(
        IllegalArgumentException.class,
        () -> SpiffeId.parse("spiffe://td/agent/" + "a".repeat(64)));
  }
}
