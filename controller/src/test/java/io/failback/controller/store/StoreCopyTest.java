package io.failback.controller.store;

import static io.failback.controller.store.Inventories.inventory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Timestamps;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A SQLite store copied into PostgreSQL reads back the same through every record class. */
class StoreCopyTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");

  @TempDir Path dir;

  /** A store with a row in every table, and jobs created in the same millisecond. */
  static void fill(ControllerStore store) throws Exception {
    store.hostRecords().recordRegistration("hv01", inventory("hv01", "web", "db"),
        "10.0.0.1:5000", "agent-1", T0);
    store.protectedItemRecords().insert(ProtectedItem.newBuilder().setVmId("VM-1")
        .setVmName("web").setOnPremHost("hv01").setState(ProtectionState.PROTECTED).build(), T0);
    for (String id : List.of("j-b", "j-a", "j-c")) {
      store.jobRecords().insert(Job.newBuilder().setId(id).setKind("Protect")
          .setState(JobState.JOB_SUCCEEDED).addVmIds("VM-1")
          .setCreatedAt(Timestamps.fromMillis(1_000)).setUpdatedAt(Timestamps.fromMillis(1_000))
          .build());
    }
    store.checkpointRecords().put("s1", LaneCheckpoint.newBuilder().setLane(3)
        .setWatermarkBlock(1L << 40).setChain(ByteString.copyFromUtf8("chain")).build());
    store.recoveryPlanRecords().insert(RecoveryPlan.newBuilder().setName("Tier-1")
        .addGroups(RecoveryPlanGroup.newBuilder().addVmIds("VM-1")).build(), T0);
    store.vmOwnerRecords().claim("hv01", List.of(new VmOwnerRecords.Report("vm-1", "web")), T0);
    store.vmOwnerRecords().claim("hv02", List.of(new VmOwnerRecords.Report("vm-1", "web")), T0);
    store.hostFenceRecords().fence("hv02", T0, "spiffe://t/operator/a", "stolen");
    for (int i = 0; i < 3; i++) {
      store.auditRecords().append(T0.plusMillis(i), "spiffe://t/operator/a", "ff",
          "vm.protect", "vm/vm-" + i, "");
    }
    store.enrollmentTokenRecords().insert("used", "hv01", T0, T0.plusSeconds(60), "a");
    store.enrollmentTokenRecords().redeem("used", T0.plusSeconds(1));
    store.enrollmentTokenRecords().insert("fresh", "hv03", T0, T0.plusSeconds(3600), "a");
    store.bandwidthRecords().put(new BandwidthRecords.Limit(BandwidthRecords.Scope.HOST, "hv01",
        "Mon-Fri 08:00-18:00=100Mbit/s, unlimited", "spiffe://t/operator/a", T0));
  }

  @Test
  void everyRowArrivesAndNewAuditEventsContinueAfterTheCopiedIds() throws Exception {
    StoreLocation.Postgres target = TestDatabases.newPostgresDatabase();
    try (ControllerStore sqlite = ControllerStore.open(dir.resolve("controller.db"));
        ControllerStore postgres = ControllerStore.open(target)) {
      fill(sqlite);

      var copied = StoreCopy.copy(sqlite, postgres);

      assertEquals(3, copied.get("jobs"));
      assertEquals(3, copied.get("audit_events"));
      assertEquals(11, copied.size(), copied.toString());
      assertEquals(sqlite.bandwidthRecords().all(), postgres.bandwidthRecords().all());
      assertTrue(!copied.containsKey("controller_lease"), "a lease is not data to copy");
      assertEquals(sqlite.hostRecords().hosts(), postgres.hostRecords().hosts());
      assertEquals(sqlite.protectedItemRecords().list(), postgres.protectedItemRecords().list());
      assertEquals(List.of("j-c", "j-a", "j-b"),
          postgres.jobRecords().list().stream().map(Job::getId).toList());
      assertEquals(sqlite.checkpointRecords().get("s1"), postgres.checkpointRecords().get("s1"));
      assertEquals(sqlite.recoveryPlanRecords().list(), postgres.recoveryPlanRecords().list());
      assertEquals(sqlite.vmOwnerRecords().conflicts(null),
          postgres.vmOwnerRecords().conflicts(null));
      assertEquals(sqlite.hostFenceRecords().fences(null),
          postgres.hostFenceRecords().fences(null));
      assertEquals(sqlite.auditRecords().recent((String) null, 10),
          postgres.auditRecords().recent((String) null, 10));
      assertEquals(java.util.Optional.empty(),
          postgres.enrollmentTokenRecords().redeem("used", T0.plusSeconds(2)));
      assertEquals(java.util.Optional.of("hv03"),
          postgres.enrollmentTokenRecords().redeem("fresh", T0.plusSeconds(2)));

      postgres.auditRecords().append(T0, "spiffe://t/operator/b", "ff", "vm.commit", "vm/x", "");
      assertEquals(4, postgres.auditRecords().recent((String) null, 1).get(0).id());
    }
  }

  @Test
  void aTargetWithRowsIsRefusedAndKeptAsItWas() throws Exception {
    StoreLocation.Postgres target = TestDatabases.newPostgresDatabase();
    try (ControllerStore sqlite = ControllerStore.open(dir.resolve("controller.db"));
        ControllerStore postgres = ControllerStore.open(target)) {
      fill(sqlite);
      postgres.hostFenceRecords().fence("hv09", T0, "a", "already here");

      StoreException e =
          assertThrows(StoreException.class, () -> StoreCopy.copy(sqlite, postgres));

      assertTrue(e.getMessage().contains("is not empty (table host_fences has rows)"),
          e.getMessage());
      assertEquals(1, postgres.hostFenceRecords().fences(null).size());
      assertTrue(postgres.hostRecords().hosts().isEmpty());
    }
  }
}
