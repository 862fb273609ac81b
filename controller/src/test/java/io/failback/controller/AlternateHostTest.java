package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc.FailoverServiceBlockingStub;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.PreflightProblem;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.VirtualMachine;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failback to an alternate location: pre-flight on the target host's inventory, then the VM is
 * created there with new dynamic VHDX disks, synced from nothing, started, and protected from
 * its new host afterwards.
 */
class AlternateHostTest {
  private static final SecureBoot UEFI_CA = SecureBoot.newBuilder().setEnabled(true)
      .setTemplateName("MicrosoftUEFICertificateAuthority").build();
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  /**
   * hv-01 holds app-01 (VHDX + raw disk on "LAN", Secure Boot On with the template a Linux
   * shim needs); hv-02 has "LAN", hv-03 only "DMZ".
   */
  private LifecycleFixture fixture() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> "localhost:" + port,
        host -> SimulatedHostSeeder.secureBoot(host, "app-01", true, UEFI_CA.getTemplateName()),
        false);
    fixture.startEmptyHost("hv-02", "LAN");
    fixture.startEmptyHost("hv-03", "DMZ");
    return fixture;
  }

  private FailoverServiceBlockingStub failover(LifecycleFixture fixture) throws Exception {
    return FailoverServiceGrpc.newBlockingStub(fixture.controller.channel(
        fixture.controller.pki.operator("ops")));
  }

  @Test
  void aHostWithoutTheSwitchGetsEveryProblemListedAndNothingTouched() throws Exception {
    LifecycleFixture fixture = fixture();
    String cloudVm = fixture.failedOver();
    PlannedFailoverRequest request = PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.vmId).setTargetHost("hv-03")
        .setEncryptionCertificate("ffeeddccbbaa99887766554433221100ffeeddcc").build();

    FailoverResponse dryRun = failover(fixture).plannedFailover(request.toBuilder()
        .setValidateOnly(true).build());
    List<String> checks = dryRun.getPreflight().getProblemsList().stream()
        .map(PreflightProblem::getCheck).sorted().toList();
    assertEquals(List.of("certificate_not_held", "switch_missing"), checks, dryRun.toString());

    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> failover(fixture).plannedFailover(request.toBuilder()
            .clearEncryptionCertificate().build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("no virtual switch 'LAN'"),
        refused.getStatus().getDescription());
    assertEquals(ProtectionState.FAILED_OVER, fixture.item().getState());
    assertEquals("hv-01", fixture.item().getOnPremHost());
    assertEquals(List.of(), new SimulatedHypervisor(dir.resolve("hv-03")).inventory()
        .getVirtualMachinesList(), "a VM was created on the host without the switch");
    assertTrue(fixture.controller.server.cloud().get(cloudVm).isPresent());
  }

  @Test
  void theVmIsCreatedOnTheAlternateHostByteIdenticalAndProtectedFromThere() throws Exception {
    LifecycleFixture fixture = fixture();
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 40, 3);
    cloud.guest(cloudVm).scribble(1, 20, 4);
    byte[] originalDisk = fixture.onPremBytes(0);

    FailoverResponse dryRun = failover(fixture).plannedFailover(PlannedFailoverRequest
        .newBuilder().addVmIds(fixture.vmId).setTargetHost("hv-02").setValidateOnly(true)
        .build());
    assertEquals(List.of(), dryRun.getPreflight().getProblemsList(), dryRun.toString());
    assertEquals(dryRun.getPreflight().getEstimate().getBytesToSendFullDownload(),
        dryRun.getPreflight().getEstimate().getBytesToSendSyncBefore(),
        "an empty new disk must receive every non-zero block either way");

    Job job = failover(fixture).plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.vmId).setTargetHost("hv-02")
        .setDataSync(DataSync.SYNC_BEFORE_FAILOVER).build()).getJob();
    fixture.awaitState(job, JobState.JOB_WAITING);
    Job done = fixture.awaitState(fixture.controller.server.lifecycle().completeFailover(
        job.getId()), JobState.JOB_SUCCEEDED);

    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, item.getState());
    assertEquals("hv-02", item.getOnPremHost());
    VirtualMachine moved = new SimulatedHypervisor(dir.resolve("hv-02")).inventory()
        .getVirtualMachines(0);
    assertEquals(moved.getId(), item.getOnPremVmId());
    assertNotEquals(fixture.vmId, moved.getId());
    assertEquals("app-01", moved.getName());
    assertEquals(PowerState.RUNNING, moved.getPowerState());
    assertEquals(2, moved.getDisksCount());
    // The simulated original reports no memory or processors: the defaults apply.
    assertEquals(2L << 30, moved.getMemoryBytes());
    assertEquals(2, moved.getProcessorCount());
    // Its Secure Boot setting, though, is the original's: Hyper-V's default would not start
    // a Linux guest's shim.
    assertEquals(UEFI_CA, moved.getSecureBoot());
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "Secure Boot On (template MicrosoftUEFICertificateAuthority) as the original's")),
        done.toString());
    assertTrue(done.getTasksList().stream().anyMatch(t -> t.getDiskPath().equals(
        moved.getDisks(0).getPath()) && t.getSourceDigest().equals(t.getTargetDigest())
        && !t.getSourceDigest().isEmpty()), done.toString());
    for (int i = 0; i < 2; i++) {
      assertEquals(DiskFormat.VHDX, moved.getDisks(i).getFormat());
      assertArrayEquals(fixture.cloudBytes(cloudVm, i), bytes(moved.getDisks(i).getPath()),
          "disk " + i + " on hv-02 differs from the cloud disk");
    }
    // qemu-img parses the new VHDX with its own reader: an independent check of what we wrote.
    FailbackFullDownloadTest.qemuImgCompareVhdx(Path.of(moved.getDisks(0).getPath()),
        cloud.get(cloudVm).orElseThrow().disks().get(0).path());
    assertArrayEquals(originalDisk, fixture.onPremBytes(0), "the original VM's disk changed");
    assertFalse(fixture.controller.server.registry().host("hv-02").orElseThrow().getInventory()
        .getVirtualMachinesList().isEmpty(), "the controller's inventory misses the new VM");

    Exception twice = assertThrows(Exception.class,
        () -> fixture.controller.server.lifecycle().enableProtection(moved.getId()));
    assertTrue(twice.getMessage().contains("on-prem copy of protected item " + fixture.vmId),
        twice.getMessage());

    fixture.awaitState(fixture.controller.server.lifecycle().commit(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(fixture.controller.server.lifecycle().reverseReplicate(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    ProtectedItem protectedAgain = fixture.item();
    assertEquals(ProtectionState.PROTECTED, protectedAgain.getState());
    assertEquals(UEFI_CA, protectedAgain.getOnPremSecureBoot(), "as the new VM reports it");
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(bytes(moved.getDisks(i).getPath()),
          fixture.cloudBytes(protectedAgain.getCloudVmId(), i));
    }
  }

  private static byte[] bytes(String path) throws Exception {
    try (BlockDevice device = BlockDevices.open(Path.of(path), false)) {
      return LifecycleFixture.contents(device);
    }
  }

}
