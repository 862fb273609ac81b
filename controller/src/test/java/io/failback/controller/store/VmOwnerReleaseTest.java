package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.controller.store.TestDatabases.Backend;
import io.failback.controller.store.VmOwnerRecords.Report;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bound on the VM ids one host owns, on both backends: beyond it, the first claimed of
 * those not kept are released, and another host may then claim them.
 */
@ParameterizedClass
@EnumSource(Backend.class)
class VmOwnerReleaseTest extends StoreTestBase {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
  private static final List<String> IDS = List.of("0a000000-0000-4000-8000-000000000000",
      "0b000000-0000-4000-8000-000000000000", "0c000000-0000-4000-8000-000000000000",
      "0d000000-0000-4000-8000-000000000000", "0e000000-0000-4000-8000-000000000000");

  @Test
  void beyondTheBoundTheFirstClaimedNotKeptAreReleased() throws Exception {
    VmOwnerRecords owners = store.vmOwnerRecords();
    for (int i = 0; i < IDS.size(); i++) {
      owners.claim("HV01", List.of(new Report(IDS.get(i), "vm" + i)), T0.plusSeconds(i));
    }
    assertEquals(5, owners.ownedCount("hv01"));

    // Ids 0 and 2 are the first claimed not kept; 1 is kept (a protected item's, say).
    assertEquals(2, owners.release("hv01", Set.of(IDS.get(1)), 3));

    assertEquals(3, owners.ownedCount("hv01"));
    assertEquals(Optional.empty(), owners.owner(IDS.get(0)));
    assertEquals(Optional.of("hv01"), owners.owner(IDS.get(1)));
    assertEquals(Optional.empty(), owners.owner(IDS.get(2)));
    assertEquals(0, owners.release("hv01", Set.of(), 3), "at the bound: nothing");
    owners.claim("hv02", List.of(new Report(IDS.get(0), "vm0")), T0.plusSeconds(9));
    assertEquals(Optional.of("hv02"), owners.owner(IDS.get(0)), "claimed by another host");
    assertEquals(0, owners.ownedCount("nobody"));
  }
}
