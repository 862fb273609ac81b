package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.FailoverServiceGrpc.FailoverServiceBlockingStub;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RecoveryPointPreview;
import io.failback.proto.v1.UnplannedFailoverRequest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * UnplannedFailover with validate_only over mutual TLS: what each VM would start from, its
 * host's reach and an unfinished replication, every problem at once; nothing changes.
 */
class UnplannedPreflightTest {
  private static final String NO_SUCH_VM = "00000000-0000-4000-8000-0000000000aa";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void saysWhatEachVmStartsFromAndChangesNothing() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    FailoverServiceBlockingStub failover = OperatorCalls.failover(fixture, cleanup);
    OperatorCalls.protect(failover, fixture);
    ProtectedItem before = fixture.item();
    int jobs = fixture.controller.server.jobs().list("").size();

    FailoverResponse checked = check(failover, fixture.vmId, NO_SUCH_VM);
    assertFalse(checked.hasJob(), "a validate-only request started a job");
    assertEquals(1, checked.getPreflight().getProblemsCount(), checked.toString());
    assertEquals(NO_SUCH_VM + ":state", checked.getPreflight().getProblems(0).getVmId() + ":"
        + checked.getPreflight().getProblems(0).getCheck());
    RecoveryPointPreview preview = checked.getPreflight().getRecoveryPoints(0);
    assertEquals(fixture.vmId, preview.getVmId());
    assertEquals(before.getLastRecoveryPoint(), preview.getRecoveryPoint());
    assertTrue(Durations.toMillis(preview.getAge()) >= 0, preview.toString());
    assertEquals("hv-01", preview.getOnPremHost());
    assertTrue(preview.getHostOnline(), preview.toString());
    assertFalse(preview.hasReplicaWrittenSince(), preview.toString());

    // A delta cycle cut while it wrote the replica, whose undo journals are kept.
    fixture.controller.server.protectedItems().replicaWriting(fixture.vmId,
        java.time.Instant.ofEpochSecond(1_800_000_000), true);
    fixture.agent.close();
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (fixture.controller.server.registry().isOnline("hv-01")) {
      assertTrue(System.nanoTime() < deadline, "agent still online");
      Thread.sleep(20);
    }
    preview = check(failover, fixture.vmId).getPreflight().getRecoveryPoints(0);
    assertFalse(preview.getHostOnline(), preview.toString());
    assertEquals(Timestamps.fromSeconds(1_800_000_000), preview.getReplicaWrittenSince());
    assertTrue(preview.getReplicaWritesUndoable(), preview.toString());

    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    assertEquals("", fixture.item().getActiveJobId());
    assertEquals(PowerState.OFF, fixture.controller.server.cloud().get(before.getCloudVmId())
        .orElseThrow().state());
    assertEquals(jobs, fixture.controller.server.jobs().list("").size());

    fixture.controller.server.cloud().delete(before.getCloudVmId());
    FailoverResponse gone = check(failover, fixture.vmId);
    assertEquals(List.of("cloud_vm_missing"), gone.getPreflight().getProblemsList().stream()
        .map(p -> p.getCheck()).toList());
    assertEquals(0, gone.getPreflight().getRecoveryPointsCount());
  }

  private static FailoverResponse check(FailoverServiceBlockingStub failover, String... vmIds) {
    return failover.unplannedFailover(UnplannedFailoverRequest.newBuilder()
        .addAllVmIds(List.of(vmIds)).setValidateOnly(true).build());
  }
}
