package io.failback.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.controller.store.TestDatabases.Backend;
import io.failback.controller.store.VmOwnerRecords.Report;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The records that keep one host's agent away from another host's VMs: VM ownership, fences
 * and enrollment tokens, on both stores.
 */
@ParameterizedClass
@EnumSource(Backend.class)
class TrustRecordsTest extends StoreTestBase {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  @Test
  void theFirstHostToReportAVmOwnsItAndAnotherHostsReportIsAConflict() throws Exception {
    VmOwnerRecords owners = store.vmOwnerRecords();
    owners.claim("HV01", List.of(new Report("VM-A", "web")), T0);

    VmOwnerRecords.Claims claims =
        owners.claim("hv02", List.of(new Report("vm-a", "web"), new Report("vm-b", "db")), T0);

    assertEquals(Map.of("vm-a", "hv01"), claims.conflicts());
    assertEquals(Set.of("vm-a"), claims.newConflicts());
    reopen();
    assertEquals(Optional.of("hv01"), store.vmOwnerRecords().owner("Vm-A"));
    assertEquals(List.of("vm-b"), store.vmOwnerRecords().ownedBy("hv02"));
    assertEquals(1, store.vmOwnerRecords().conflicts("hv02").size());
    // A repeated report is not a new conflict; an operator's move ends it.
    assertEquals(Set.of(), store.vmOwnerRecords()
        .claim("hv02", List.of(new Report("vm-a", "web")), T0.plusSeconds(1)).newConflicts());
    store.vmOwnerRecords().move("vm-a", "hv02", T0.plusSeconds(2));
    assertEquals(Optional.of("hv02"), store.vmOwnerRecords().owner("vm-a"));
    assertEquals(List.of(), store.vmOwnerRecords().conflicts("hv02"));
  }

  @Test
  void aFenceIsKeptUntilLiftedAndASecondFenceChangesNothing() throws Exception {
    assertTrue(store.hostFenceRecords().fence("HV01", T0, "spiffe://t/operator/a", "stolen"));
    assertFalse(store.hostFenceRecords().fence("hv01", T0.plusSeconds(1), "b", "again"));
    reopen();
    HostFenceRecords.Fence fence = store.hostFenceRecords().fence("hv01").orElseThrow();
    assertEquals(new HostFenceRecords.Fence("hv01", T0, "spiffe://t/operator/a", "stolen"),
        fence);
    assertTrue(store.hostFenceRecords().unfence("hv01"));
    assertEquals(List.of(), store.hostFenceRecords().fences(null));
  }

  @Test
  void anEnrollmentTokenIsRedeemedOnceAndNotAfterItExpires() throws Exception {
    EnrollmentTokenRecords tokens = store.enrollmentTokenRecords();
    tokens.insert("hash-1", "hv01", T0, T0.plusSeconds(60), "spiffe://t/operator/a");
    tokens.insert("hash-2", "hv02", T0, T0.plusSeconds(60), "spiffe://t/operator/a");

    assertEquals(Optional.of("hv01"), tokens.redeem("hash-1", T0.plusSeconds(1)));
    assertEquals(Optional.empty(), tokens.redeem("hash-1", T0.plusSeconds(2)));
    assertEquals(Optional.empty(), tokens.redeem("hash-2", T0.plusSeconds(60)));
    assertEquals(Optional.empty(), tokens.redeem("no-such-hash", T0));
  }
}
