package io.failback.controller;

import static io.failback.controller.OperatorCalls.assertStep;
import static io.failback.controller.OperatorCalls.item;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.CommitRequest;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverServiceGrpc.FailoverServiceBlockingStub;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RestartCloudVmRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * RestartCloudVm through the operator API over mutual TLS: a failed-over VM's cloud copy that
 * would not boot on its devices is shut down, given others and started again; one whose guest
 * powered off is started. The item stays where it was, and the tracking of the guest's writes
 * since the failover goes on across both, so the failback's phase 1 sends exactly those writes.
 */
class CloudVmRestartTest {
  private static final int BLOCK = 64 * 1024;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theCloudCopyRestartsOnOtherDevicesAndTheFailbackStillSendsOnlyItsWrites()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> "localhost:" + port,
        host -> SimulatedHostSeeder.guestOs(host, "app-01", "Windows Server 2022 Datacenter"),
        false);
    FailoverServiceBlockingStub failover = OperatorCalls.failover(fixture, cleanup);
    Cloud cloud = fixture.controller.server.cloud();
    OperatorCalls.protect(failover, fixture);
    fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.vmId).setDataSync(DataSync.SYNC_BEFORE_FAILOVER).build()).getJob(),
        JobState.JOB_SUCCEEDED);
    ProtectedItem failedOver = item(failover, fixture);
    String cloudVm = failedOver.getCloudVmId();
    assertEquals(List.of("Commit", "RestartCloudVm"), failedOver.getAllowedActionsList());
    assertEquals(CloudDevices.EMULATED, failedOver.getCloudDevices());
    write(cloud, cloudVm, 0, 3, 1);

    Job restart = fixture.awaitState(failover.restartCloudVm(RestartCloudVmRequest.newBuilder()
        .addVmIds(fixture.vmId).setCloudDevices(CloudDevices.VIRTIO).build()).getJob(),
        JobState.JOB_SUCCEEDED);
    assertEquals("RestartCloudVm", restart.getKind());
    assertStep(restart, "cloud VM " + cloudVm + " shut down (the power button");
    assertStep(restart, "devices SATA disks and e1000e NICs → virtio from this start on");
    assertStep(restart, "cloud VM " + cloudVm + " started again in ");
    ProtectedItem restarted = item(failover, fixture);
    assertEquals(ProtectionState.FAILED_OVER_COMMIT_PENDING, restarted.getState());
    assertEquals(failedOver.getGeneration(), restarted.getGeneration(), "no site moved");
    assertEquals("", restarted.getActiveJobId());
    assertEquals(CloudDevices.VIRTIO, restarted.getCloudDevices());
    assertEquals(failedOver.getFailoverBaseline(), restarted.getFailoverBaseline());
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());
    assertEquals(io.failback.controller.cloud.CloudDevices.VIRTIO,
        cloud.get(cloudVm).orElseThrow().devices());
    write(cloud, cloudVm, 1, 2, 2);
    Job again = fixture.awaitState(failover.restartCloudVm(RestartCloudVmRequest.newBuilder()
        .addVmIds(fixture.vmId).setCloudDevices(CloudDevices.VIRTIO).build()).getJob(),
        JobState.JOB_SUCCEEDED);
    assertStep(again, "devices stay virtio");

    // Its guest powers itself off: the copy is just started, with force meaning nothing then.
    cloud.shutdown(cloudVm);
    Job start = fixture.awaitState(failover.restartCloudVm(RestartCloudVmRequest.newBuilder()
        .addVmIds(fixture.vmId).setForce(true).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertStep(start, "cloud VM " + cloudVm + " is off (its guest powered off or crashed)");
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());
    assertEquals(CloudDevices.VIRTIO, item(failover, fixture).getCloudDevices(), "kept");

    fixture.awaitState(failover.commit(CommitRequest.newBuilder().addVmIds(fixture.vmId)
        .build()).getJob(), JobState.JOB_SUCCEEDED);
    Job waiting = fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest
        .newBuilder().addVmIds(fixture.vmId).setDataSync(DataSync.SYNC_BEFORE_FAILOVER)
        .build()).getJob(), JobState.JOB_WAITING);
    assertStep(waiting, "phase 1 sends only the 5 blocks the cloud VM wrote since the"
        + " failover");
    assertStep(waiting, "p1 (TRACKED) verified: whole-disk digests equal on both sides; 5"
        + " blocks scanned, 5 sent");
    fixture.awaitState(failover.completeFailover(CompleteFailoverRequest.newBuilder()
        .setJobId(waiting.getId()).build()).getJob(), JobState.JOB_SUCCEEDED);
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(fixture.cloudBytes(cloudVm, i), fixture.onPremBytes(i), "disk " + i);
    }
  }

  @Test
  void refusedUnlessTheCloudCopyIsTheActiveOneAndChangesNothing() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    FailoverServiceBlockingStub failover = OperatorCalls.failover(fixture, cleanup);
    OperatorCalls.protect(failover, fixture);
    StatusRuntimeException protectedOne = assertThrows(StatusRuntimeException.class,
        () -> failover.restartCloudVm(RestartCloudVmRequest.newBuilder()
            .addVmIds(fixture.vmId).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, protectedOne.getStatus().getCode());
    assertTrue(protectedOne.getStatus().getDescription().contains("cannot RestartCloudVm"),
        protectedOne.getStatus().getDescription());
    assertEquals(PowerState.OFF, fixture.controller.server.cloud()
        .get(item(failover, fixture).getCloudVmId()).orElseThrow().state(), "not started");

    fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.vmId).setDataSync(DataSync.SYNC_BEFORE_FAILOVER).build()).getJob(),
        JobState.JOB_SUCCEEDED);
    StatusRuntimeException badDevices = assertThrows(StatusRuntimeException.class,
        () -> failover.restartCloudVm(RestartCloudVmRequest.newBuilder()
            .addVmIds(fixture.vmId).setCloudDevicesValue(7).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, badDevices.getStatus().getCode());
    assertTrue(badDevices.getStatus().getDescription().contains("cloud_devices"),
        badDevices.getStatus().getDescription());
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> failover.restartCloudVm(RestartCloudVmRequest.newBuilder()
            .addVmIds(fixture.vmId).addVmIds("00000000-0000-4000-8000-000000000001").build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    assertEquals(List.of(), fixture.controller.server.lifecycle().items().stream()
        .filter(i -> !i.getActiveJobId().isEmpty()).toList(), "no job began");
  }

  /**
   * A controller that stops while RestartCloudVm has the cloud VM off, after the job recorded
   * the new devices on the item: the next one starts it with them and releases the item.
   */
  @Test
  void aRestartCutByAControllerRestartEndsWithTheCloudVmRunningOnTheItemsDevices()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    String cloudVm = fixture.failedOver();
    ProtectionState state = fixture.item().getState();
    fixture.controller.server.protectedItems().transition(fixture.vmId, state, state,
        b -> b.setActiveJobId("6b1f0c8e-restart").setCloudDevices(CloudDevices.EMULATED));
    fixture.controller.server.cloud().shutdown(cloudVm);

    fixture.controller.restart();
    var cloud = fixture.controller.server.cloud().get(cloudVm).orElseThrow();
    assertEquals(PowerState.RUNNING, cloud.state(), "the active copy runs again");
    assertEquals(io.failback.controller.cloud.CloudDevices.EMULATED, cloud.devices());
    ProtectedItem item = fixture.item();
    assertEquals("", item.getActiveJobId());
    assertEquals(state, item.getState());
    assertTrue(item.getAllowedActionsList().contains("RestartCloudVm"), item.toString());
  }


  /** The cloud guest writes the first {@code blocks} whole blocks of disk {@code disk}. */
  private static void write(Cloud cloud, String cloudVm, int disk, int blocks, long seed)
      throws Exception {
    Random random = new Random(seed);
    byte[] data = new byte[BLOCK];
    for (int block = 0; block < blocks; block++) {
      random.nextBytes(data);
      cloud.guest(cloudVm).write(disk, (long) block * BLOCK, data);
    }
  }
}
