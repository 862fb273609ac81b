package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** VMs named on the command line by id, unique id prefix or unique name. */
class VmRefsTest {
  private static final Map<String, String> KNOWN = new LinkedHashMap<>();

  static {
    KNOWN.put("0f1e0000-0000-4000-8000-000000000001", "web-01");
    KNOWN.put("0f1e0000-0000-4000-8000-000000000002", "web-02");
    KNOWN.put("7a2b0000-0000-4000-8000-000000000003", "db-01");
    KNOWN.put("9c3d0000-0000-4000-8000-000000000004", "db-01");
  }

  @Test
  void anIdAPrefixOrANameResolvesToTheId() {
    assertEquals("0f1e0000-0000-4000-8000-000000000002",
        VmRefs.resolve(KNOWN, "0F1E0000-0000-4000-8000-000000000002"));
    assertEquals("7a2b0000-0000-4000-8000-000000000003", VmRefs.resolve(KNOWN, "7a2b"));
    assertEquals("0f1e0000-0000-4000-8000-000000000001", VmRefs.resolve(KNOWN, "WEB-01"));
    assertEquals("nothing-like-it", VmRefs.resolve(KNOWN, "nothing-like-it"),
        "unknown: the controller says why");
    assertEquals("7a2", VmRefs.resolve(KNOWN, "7a2"), "3 characters are no prefix");
  }

  @Test
  void anAmbiguousNameOrPrefixIsAnErrorListingTheCandidates() {
    IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
        () -> VmRefs.resolve(KNOWN, "db-01"));
    assertTrue(name.getMessage().startsWith("2 VMs are named 'db-01': db-01 (7a2b"),
        name.getMessage());
    IllegalArgumentException prefix = assertThrows(IllegalArgumentException.class,
        () -> VmRefs.resolve(KNOWN, "0f1e0000"));
    assertTrue(prefix.getMessage().contains("web-01 (0f1e0000-0000-4000-8000-000000000001),"
        + " web-02"), prefix.getMessage());
  }
}
