package io.failback.controller;

import static io.failback.controller.OperatorCalls.assertStep;
import static io.failback.controller.OperatorCalls.item;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.LifecycleException;
import io.failback.proto.v1.CommitRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DisableProtectionRequest;
import io.failback.proto.v1.FailoverServiceGrpc.FailoverServiceBlockingStub;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * DisableProtection through the operator API over mutual TLS: the cloud replica and what both
 * sides kept to replicate the VM go, the on-prem VM is untouched, and the item can be protected
 * again from scratch; refused where the cloud copy is the active one; finished by a re-run after
 * a controller restart cut it, and by one after its host came back.
 */
class DisableProtectionTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theReplicaAndBothSidesTrackingGoTheVmStaysAndCanBeProtectedAgain() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    FailoverServiceBlockingStub failover = OperatorCalls.failover(fixture, cleanup);
    OperatorCalls.protect(failover, fixture);
    fixture.controller.server.lifecycle().replicateNow(fixture.vmId); // tracked from here
    ProtectedItem protectedOne = item(failover, fixture);
    String replica = protectedOne.getCloudVmId();
    assertEquals(2, protectedOne.getDiskTrackingCount(), protectedOne.toString());
    assertEquals(2, digestSets(fixture.controller.stateDir).size());
    assertEquals(2, digestSets(fixture.hostDir).size());
    byte[][] onPrem = {fixture.onPremBytes(0), fixture.onPremBytes(1)};
    fixture.controller.server.recoveryPlans().create(RecoveryPlan.newBuilder().setName("tier-1")
        .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(fixture.vmId)).build());

    Job job = fixture.awaitState(failover.disableProtection(DisableProtectionRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertEquals("DisableProtection", job.getKind());
    assertStep(job, "cloud replica " + replica + " deleted with its 2 disk(s) and checkpoints");
    assertStep(job, "the controller deleted 2 digest set(s)");
    // One reference point per disk from the initial replication, one more from the cycle.
    assertStep(job, "host hv-01 dropped 0 read point(s), 4 reference point(s) and 2 digest"
        + " set(s) it kept of the VM");
    assertStep(job, "recovery plan tier-1 named no other VM: deleted");
    assertTrue(fixture.controller.server.recoveryPlans().list().isEmpty(), "plan deleted");
    ProtectedItem unprotected = item(failover, fixture);
    assertEquals(ProtectionState.UNPROTECTED, unprotected.getState());
    assertEquals("", unprotected.getCloudVmId());
    assertEquals(0, unprotected.getDiskTrackingCount());
    assertFalse(unprotected.hasLastRecoveryPoint());
    assertEquals(protectedOne.getGeneration(), unprotected.getGeneration(), "fencing kept");
    assertEquals(List.of("EnableProtection", "DisableProtection"),
        unprotected.getAllowedActionsList());
    assertTrue(fixture.controller.server.cloud().get(replica).isEmpty(), "replica deleted");
    assertEquals(List.of(), digestSets(fixture.controller.stateDir));
    assertEquals(List.of(), digestSets(fixture.hostDir));
    LifecycleException noCycle = assertThrows(LifecycleException.class,
        () -> fixture.controller.server.lifecycle().replicateNow(fixture.vmId));
    assertTrue(noCycle.getMessage().contains("delta cycles run only while PROTECTED"),
        noCycle.getMessage());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(onPrem[i], fixture.onPremBytes(i), "on-prem disk " + i + " untouched");
    }

    Job again = fixture.awaitState(failover.disableProtection(DisableProtectionRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertStep(again, "no cloud replica to delete");
    assertStep(again, "the controller kept nothing else of the VM");
    assertStep(again, "host hv-01 dropped 0 read point(s), 0 reference point(s) and 0 digest");

    // Protected again from scratch: the host's fencing accepts the kept generation.
    OperatorCalls.protect(failover, fixture);
    ProtectedItem reprotected = item(failover, fixture);
    assertEquals(ProtectionState.PROTECTED, reprotected.getState());
    fixture.assertOnPremEqualsCloud(reprotected.getCloudVmId());
  }

  @Test
  void refusedWhereTheCloudCopyIsActiveAndTheSeedOfACommittedFailbackGoes() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    FailoverServiceBlockingStub failover = OperatorCalls.failover(fixture, cleanup);
    String cloudVm = fixture.failedOver();
    StatusRuntimeException active = assertThrows(StatusRuntimeException.class,
        () -> failover.disableProtection(DisableProtectionRequest.newBuilder()
            .addVmIds(fixture.vmId).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, active.getStatus().getCode());
    assertTrue(active.getStatus().getDescription().contains("cannot DisableProtection"),
        active.getStatus().getDescription());
    assertTrue(fixture.controller.server.cloud().get(cloudVm).isPresent(), "kept");
    StatusRuntimeException bad = assertThrows(StatusRuntimeException.class,
        () -> failover.disableProtection(DisableProtectionRequest.newBuilder()
            .addVmIds("../" + fixture.vmId).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());

    // Failed back and committed: the seed kept for reverse replication is the cloud's part.
    fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.vmId).setDataSync(DataSync.FULL_DOWNLOAD).build()).getJob(),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(failover.commit(CommitRequest.newBuilder().addVmIds(fixture.vmId)
        .build()).getJob(), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK, item(failover, fixture).getState());
    assertEquals(1, seeds(fixture).size(), "a seed was kept");
    Job job = fixture.awaitState(failover.disableProtection(DisableProtectionRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertStep(job, "no cloud replica to delete");
    assertStep(job, "the controller deleted the seed kept at failback commit");
    assertEquals(List.of(), seeds(fixture), "seed deleted");
    assertEquals(ProtectionState.UNPROTECTED, item(failover, fixture).getState());
  }

  /**
   * A controller that stopped mid-way leaves the item DISABLING_PROTECTION, released; a re-run
   * while the host is away finishes on the controller's side and says what the host keeps.
   */
  @Test
  void aDisableCutByARestartIsFinishedByARerunEvenWithItsHostAway() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    FailoverServiceBlockingStub failover = OperatorCalls.failover(fixture, cleanup);
    OperatorCalls.protect(failover, fixture);
    String replica = item(failover, fixture).getCloudVmId();
    fixture.controller.server.protectedItems().transition(fixture.vmId,
        ProtectionState.PROTECTED, ProtectionState.DISABLING_PROTECTION,
        b -> b.setActiveJobId("5d0c3a7e-disable"));

    fixture.controller.restart();
    FailoverServiceBlockingStub restarted = OperatorCalls.failover(fixture, cleanup);
    ProtectedItem released = item(restarted, fixture);
    assertEquals(ProtectionState.DISABLING_PROTECTION, released.getState());
    assertEquals("", released.getActiveJobId());
    assertEquals(List.of("DisableProtection"), released.getAllowedActionsList());
    assertTrue(fixture.controller.server.cloud().get(replica).isPresent());

    fixture.agent.close();
    Job job = fixture.awaitState(restarted.disableProtection(DisableProtectionRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertStep(job, "cloud replica " + replica + " deleted");
    assertStep(job, "host hv-01 keeps its read and reference points of the VM for now (host"
        + " hv-01 is offline");
    assertEquals(ProtectionState.UNPROTECTED, item(restarted, fixture).getState());
    assertTrue(fixture.controller.server.cloud().get(replica).isEmpty());
  }

  /**
   * A VM that stays in the cloud for good (its site is not coming back, or it moved there):
   * its running cloud VM is kept as it is, only Failback's tracking of it goes, and no re-run
   * can delete it afterwards.
   */
  @Test
  void aVmThatStaysInTheCloudLeavesWithItsCloudVmRunningAsItWas() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    FailoverServiceBlockingStub failover = OperatorCalls.failover(fixture, cleanup);
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 20, 7);
    assertEquals(1, cloud.snapshots(cloudVm).size(), "the failover's tracking point");
    Path disk = cloud.get(cloudVm).orElseThrow().disks().get(0).path();
    byte[] written = Files.readAllBytes(disk);
    StatusRuntimeException unasked = assertThrows(StatusRuntimeException.class,
        () -> failover.disableProtection(DisableProtectionRequest.newBuilder()
            .addVmIds(fixture.vmId).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, unasked.getStatus().getCode());
    assertTrue(unasked.getStatus().getDescription().contains("is the active copy, which is"
        + " never deleted; to keep it in the cloud for good"), unasked.getStatus().toString());

    // As a run asked to keep it leaves the item when it fails half way: a re-run keeps it too,
    // though not asked to.
    fixture.controller.server.protectedItems().transition(fixture.vmId,
        ProtectionState.FAILED_OVER, ProtectionState.DISABLING_PROTECTION,
        b -> b.setDisablingKeepsCloudVm(true));
    Job job = fixture.awaitState(failover.disableProtection(DisableProtectionRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertStep(job, "cloud VM " + cloudVm + " kept as it is (RUNNING, 2 disk(s)), no longer"
        + " Failback's; 1 tracking point(s) and snapshot(s) of it released");
    // One per disk from the first copy, one more from the failover's final sync.
    assertStep(job, "host hv-01 dropped 0 read point(s), 4 reference point(s) and 2 digest");
    assertStep(job, "the on-prem VM on host hv-01 is as it was at the failover, older than the"
        + " cloud VM kept");
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());
    assertEquals(List.of(), cloud.snapshots(cloudVm));
    assertArrayEquals(written, Files.readAllBytes(disk), "its disk as the guest left it");
    ProtectedItem released = item(failover, fixture);
    assertEquals(ProtectionState.UNPROTECTED, released.getState());
    assertEquals("", released.getCloudVmId());
    assertFalse(released.getDisablingKeepsCloudVm());
    assertEquals(List.of(), digestSets(fixture.controller.stateDir));
    assertEquals(List.of(), digestSets(fixture.hostDir));

    // Not Failback's any more: a re-run that keeps nothing deletes nothing of it.
    Job again = fixture.awaitState(failover.disableProtection(DisableProtectionRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertStep(again, "no cloud replica to delete");
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());
  }

  /** The seeds a failback commit kept, one folder per VM. */
  private static List<Path> seeds(LifecycleFixture fixture) throws Exception {
    try (Stream<Path> seeds = Files.list(fixture.controller.stateDir.resolve("seeds"))) {
      return seeds.toList();
    }
  }

  /** The digest sets of replications kept under {@code dir}, by file name. */
  private static List<String> digestSets(Path dir) throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith("rep-") && n.endsWith(".digests")).sorted().toList();
    }
  }

}
