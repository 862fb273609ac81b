package io.failback.controller;

import static io.failback.controller.LifecycleFixture.vmTask;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RollbackFailbackRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * RollbackFailback over real mutual TLS with the real agent: after a completed failback whose
 * on-prem VM ran and wrote, both copies go back to where they were before it (on-prem: the
 * bytes, and qemu-img compare of the dynamic VHDX against a copy made before; cloud: its disks
 * as phase 2 left them, the VM running), and the job counts the discarded blocks exactly.
 */
class RollbackFailbackTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aRollbackAfterTheOnPremVmWrotePutsBothCopiesBackAndCountsWhatItDiscards()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 24, 71);
    cloud.guest(cloudVm).scribble(1, 40, 72);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);
    fixture.awaitState(lifecycle.completeFailover(failback.getId()), JobState.JOB_SUCCEEDED);
    byte[][] phaseTwoEnd = {fixture.cloudBytes(cloudVm, 0), fixture.cloudBytes(cloudVm, 1)};
    ProtectedItem failedBack = fixture.item();
    assertTrue(failedBack.getAllowedActionsList().contains("RollbackFailback"),
        failedBack.toString());
    // The on-prem VM runs and writes: 12 blocks of the VHDX, 20 of the raw disk.
    int written = fixture.scribbleOnPrem(0, 12, 73).cardinality()
        + fixture.scribbleOnPrem(1, 20, 74).cardinality();

    var stub = operator(fixture);
    FailoverResponse checked = stub.rollbackFailback(RollbackFailbackRequest.newBuilder()
        .addVmIds(fixture.vmId).setValidateOnly(true).build());
    assertFalse(checked.hasJob(), "validate_only starts nothing: " + checked);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    assertEquals(io.failback.proto.v1.PowerState.RUNNING, fixture.onPremVm().getPowerState());

    Job rollback = stub.rollbackFailback(RollbackFailbackRequest.newBuilder()
        .addVmIds(fixture.vmId).build()).getJob();
    assertEquals("RollbackFailback", rollback.getKind());
    Job done = fixture.awaitState(rollback, JobState.JOB_SUCCEEDED);

    before.assertRolledBack(fixture, done);
    assertEquals(written, vmTask(done).getBlocksDiscarded(), done.getTasksList().toString());
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        written + " blocks the on-prem VM wrote since it started discarded")), done.toString());
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(phaseTwoEnd[i], fixture.cloudBytes(cloudVm, i), "cloud disk " + i
          + " changed since phase 2");
    }
    ProtectedItem item = fixture.item();
    assertEquals(failedBack.getGeneration() + 1, item.getGeneration(),
        "the active site moved back to the cloud: " + item);
    assertFalse(item.getRollbackAtCloudState());

    // Allowed only while a commit is pending: refused with the reason otherwise.
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> stub.rollbackFailback(RollbackFailbackRequest.newBuilder()
            .addVmIds(fixture.vmId).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("cannot RollbackFailback")
        && refused.getStatus().getDescription().contains("FAILED_OVER"),
        refused.getStatus().getDescription());

    // The item is an ordinary failed-over one: a failback runs again and completes.
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD),
        JobState.JOB_SUCCEEDED);
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  @Test
  void aDamagedJournalRefusesTheRollbackBeforeAnythingChanges() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    fixture.controller.server.cloud().guest(cloudVm).scribble(1, 30, 75);
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD),
        JobState.JOB_SUCCEEDED);
    fixture.scribbleOnPrem(1, 5, 76);
    byte[][] running = {fixture.onPremBytes(0), fixture.onPremBytes(1)};
    OnPremBefore.damageUndoJournal(fixture, 1);
    ProtectedItem item = fixture.item();

    var stub = operator(fixture);
    for (boolean validateOnly : List.of(true, false)) {
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> stub.rollbackFailback(RollbackFailbackRequest.newBuilder()
              .addVmIds(fixture.vmId).setValidateOnly(validateOnly).build()));
      assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
      String why = refused.getStatus().getDescription();
      assertTrue(why.contains("cannot RollbackFailback") && why.contains(" is damaged")
          && why.contains("nothing was changed"), why);
    }
    assertEquals(item, fixture.item(), "the item changed");
    assertEquals(io.failback.proto.v1.PowerState.RUNNING, fixture.onPremVm().getPowerState());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(running[i], fixture.onPremBytes(i), "on-prem disk " + i + " changed");
    }
    assertTrue(fixture.controller.server.jobs().list(fixture.vmId).stream()
        .noneMatch(j -> j.getKind().equals("RollbackFailback")), "a job was started");
  }

  @Test
  void aRollbackCutByAControllerRestartGoesOnByItselfToTheSameEnd() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup,
        PausingProxy.into(proxy, cleanup));
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    // Random bytes on the raw disk: what the rollback puts back does not compress away.
    java.util.Random random = new java.util.Random(77);
    byte[] chunk = new byte[1 << 20];
    for (long at = 0; at < 16L * LifecycleFixture.MIB; at += chunk.length) {
      random.nextBytes(chunk);
      cloud.guest(cloudVm).write(1, at, chunk);
    }
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));
    fixture.awaitState(fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    // 160 blocks (10 MiB) written on-prem: the rollback has them to put back.
    fixture.scribbleOnPrem(1, 160, 78);

    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 3L * LifecycleFixture.MIB);
    Job rollback = operator(fixture).rollbackFailback(RollbackFailbackRequest.newBuilder()
        .addVmIds(fixture.vmId).build()).getJob();
    boolean paused = proxy[0].paused().await(60, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(paused, "the rollback never got going: "
        + fixture.controller.server.jobs().get(rollback.getId()));
    assertEquals(ProtectionState.FAILBACK_ROLLING_BACK, fixture.item().getState());
    assertEquals(PowerState.OFF, cloud.get(cloudVm).orElseThrow().state());
    assertEquals(io.failback.proto.v1.PowerState.OFF, fixture.onPremVm().getPowerState());

    fixture.controller.restart();
    proxy[0].resume();
    Job done = fixture.awaitState(rollback, JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .equals("controller restarted; resuming")), done.toString());
    before.assertRolledBack(fixture, done);
    assertEquals(PowerState.RUNNING,
        fixture.controller.server.cloud().get(cloudVm).orElseThrow().state());
  }

  private FailoverServiceGrpc.FailoverServiceBlockingStub operator(LifecycleFixture fixture)
      throws Exception {
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    return FailoverServiceGrpc.newBlockingStub(channel);
  }
}
