package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.GuestFamily;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.GetProtectedItemRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.SetCloudDevicesRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a cloud copy's guest sees of its disks and NICs, through the operator API over mutual
 * TLS: a guest that reports Windows gets emulated devices (on virtio it would not find its boot
 * disk) and a cloud VM of the Windows family (its clock in local time), the job says why, the
 * operator switches the devices while the cloud VM is OFF, and a switch that cannot be made
 * changes nothing.
 */
class CloudDevicesTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aWindowsGuestGetsEmulatedDevicesAndTheOperatorSwitchesThemWhileTheCloudVmIsOff()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> "localhost:" + port,
        host -> SimulatedHostSeeder.guestOs(host, "app-01", "Windows Server 2022 Datacenter"),
        false);
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(() -> channel.shutdownNow());
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    ControllerServer server = fixture.controller.server;

    Job protect = fixture.awaitState(failover.enableProtection(EnableProtectionRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertTrue(protect.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "created (off) with SATA disks and e1000e NICs (the guest reports 'Windows Server 2022"
            + " Datacenter', which has no virtio drivers of its own")), protect.toString());
    assertEquals(CloudDevices.EMULATED, item(failover, fixture).getCloudDevices());
    String cloudVm = item(failover, fixture).getCloudVmId();
    assertEquals(io.failback.controller.cloud.CloudDevices.EMULATED, devices(server, cloudVm));
    assertEquals(GuestFamily.WINDOWS, server.cloud().get(cloudVm).orElseThrow().guestFamily(),
        "its clock in local time, as Hyper-V gave it");

    var set = failover.setCloudDevices(SetCloudDevicesRequest.newBuilder()
        .addVmIds(fixture.vmId).setCloudDevices(CloudDevices.VIRTIO).build());
    assertEquals(CloudDevices.VIRTIO, set.getItems(0).getCloudDevices());
    assertEquals(io.failback.controller.cloud.CloudDevices.VIRTIO, devices(server, cloudVm));
    assertEquals(GuestFamily.WINDOWS, server.cloud().get(cloudVm).orElseThrow().guestFamily(),
        "with virtio drivers, still Windows");

    for (var bad : java.util.List.of(
        SetCloudDevicesRequest.newBuilder().addVmIds(fixture.vmId).build(),
        SetCloudDevicesRequest.newBuilder().addVmIds(fixture.vmId).setCloudDevicesValue(7)
            .build())) {
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> failover.setCloudDevices(bad));
      assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
      assertTrue(refused.getStatus().getDescription().contains("cloud_devices"),
          refused.getStatus().getDescription());
    }
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> failover.setCloudDevices(SetCloudDevicesRequest.newBuilder()
            .addVmIds(fixture.vmId).addVmIds("00000000-0000-4000-8000-000000000001")
            .setCloudDevices(CloudDevices.EMULATED).build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    assertEquals(CloudDevices.VIRTIO, item(failover, fixture).getCloudDevices(),
        "a request naming an unknown VM changes none");

    fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.vmId).setDataSync(DataSync.SYNC_BEFORE_FAILOVER).build()).getJob(),
        JobState.JOB_SUCCEEDED);
    StatusRuntimeException running = assertThrows(StatusRuntimeException.class,
        () -> failover.setCloudDevices(SetCloudDevicesRequest.newBuilder()
            .addVmIds(fixture.vmId).setCloudDevices(CloudDevices.EMULATED).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, running.getStatus().getCode());
    assertTrue(running.getStatus().getDescription().contains("is RUNNING"),
        running.getStatus().getDescription());
    assertEquals(CloudDevices.VIRTIO, item(failover, fixture).getCloudDevices());
    assertEquals(io.failback.controller.cloud.CloudDevices.VIRTIO, devices(server, cloudVm));
  }

  /**
   * Asked for at protection, changed while the item has no cloud VM (after a committed
   * failback), and kept for the cloud VM reverse replication makes.
   */
  @Test
  void theItemKeepsItsDevicesForTheCloudVmReverseReplicationMakes() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(() -> channel.shutdownNow());
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    ControllerServer server = fixture.controller.server;
    Lifecycle lifecycle = server.lifecycle();

    Job protect = fixture.awaitState(failover.enableProtection(EnableProtectionRequest
        .newBuilder().addVmIds(fixture.vmId).setCloudDevices(CloudDevices.EMULATED).build())
        .getJob(), JobState.JOB_SUCCEEDED);
    assertTrue(protect.toString().contains("with SATA disks and e1000e NICs (as set for the"
        + " VM)"), protect.toString());
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    Job failback = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_WAITING);
    fixture.awaitState(lifecycle.completeFailover(failback.getId()), JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertEquals("", item(failover, fixture).getCloudVmId(), "commit deleted the cloud VM");

    var set = failover.setCloudDevices(SetCloudDevicesRequest.newBuilder()
        .addVmIds(fixture.vmId).setCloudDevices(CloudDevices.VIRTIO).build());
    assertEquals(CloudDevices.VIRTIO, set.getItems(0).getCloudDevices());
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertTrue(reverse.toString().contains("with virtio devices (as set for the VM)"),
        reverse.toString());
    assertEquals(io.failback.controller.cloud.CloudDevices.VIRTIO,
        devices(server, item(failover, fixture).getCloudVmId()));
    assertEquals(GuestFamily.OTHER, server.cloud().get(item(failover, fixture).getCloudVmId())
        .orElseThrow().guestFamily(), "the guest does not say its OS");
  }

  private static io.failback.proto.v1.ProtectedItem item(
      FailoverServiceGrpc.FailoverServiceBlockingStub failover, LifecycleFixture fixture) {
    return failover.getProtectedItem(GetProtectedItemRequest.newBuilder()
        .setVmId(fixture.vmId).build());
  }

  private static io.failback.controller.cloud.CloudDevices devices(ControllerServer server,
      String cloudVm) throws Exception {
    return server.cloud().get(cloudVm).orElseThrow().devices();
  }
}
