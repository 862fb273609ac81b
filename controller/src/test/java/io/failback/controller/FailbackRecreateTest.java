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
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.LifecycleException;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.VirtualMachine;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full download brings back an on-prem VM that was deleted on its host (its disks, or its
 * whole folder): the VM is recreated there, filled and started (issue 11.1).
 */
class FailbackRecreateTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private static VirtualMachine vm(LifecycleFixture fixture, String id) throws Exception {
    return new SimulatedHypervisor(fixture.hostDir).inventory().getVirtualMachinesList()
        .stream().filter(v -> v.getId().equalsIgnoreCase(id)).findFirst().orElseThrow();
  }

  private static byte[] bytes(Path disk) throws Exception {
    try (BlockDevice device = BlockDevices.open(disk, false)) {
      ByteBuffer buffer = ByteBuffer.allocate((int) device.size());
      device.read(0, buffer);
      return buffer.array();
    }
  }

  private void recreateAfter(boolean wholeFolder) throws Exception {
    // A shape unlike the defaults (2 GiB, 2 CPUs, Secure Boot On): the recreated VM must have
    // the original's, even when the whole folder, its definition included, is gone.
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> "localhost:" + port,
        host -> {
          SimulatedHostSeeder.shape(host, "app-01", 3L << 30, 3);
          SimulatedHostSeeder.secureBoot(host, "app-01", false, "MicrosoftWindows");
        }, false);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    fixture.controller.server.cloud().guest(cloudVm).scribble(0, 20, 5);
    Path folder = fixture.onPremDisk(0).getParent();
    if (wholeFolder) {
      try (Stream<Path> files = Files.walk(folder)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } else {
      Files.delete(fixture.onPremDisk(0));
      Files.delete(fixture.onPremDisk(1));
    }

    LifecycleException refused = assertThrows(LifecycleException.class,
        () -> lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER));
    assertTrue(refused.getMessage().contains("FULL_DOWNLOAD"), refused.getMessage());

    Job done = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("recreated it there")), done.toString());
    var item = fixture.item();
    assertTrue(io.failback.proto.v1.HostServiceGrpc.newBlockingStub(fixture.controller.channel(
        fixture.controller.pki.operator("ops"))).listAuditEvents(
        io.failback.proto.v1.ListAuditEventsRequest.newBuilder().setTarget("vm/"
            + fixture.vmId).build()).getEventsList().stream().anyMatch(e -> e.getAction()
        .equals("vm.move") && e.getDetail().contains(item.getOnPremVmId())),
        "the move of the on-prem VM is not in the audit trail");
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, item.getState());
    assertEquals("hv-01", item.getOnPremHost());
    assertNotEquals("", item.getOnPremVmId());
    VirtualMachine recreated = vm(fixture, item.getOnPremVmId());
    assertEquals("app-01", recreated.getName());
    assertEquals(3L << 30, recreated.getMemoryBytes(), "the original's memory");
    assertEquals(3, recreated.getProcessorCount(), "the original's CPUs");
    assertEquals(SecureBoot.newBuilder().setEnabled(false).setTemplateName("MicrosoftWindows")
        .build(), recreated.getSecureBoot(), "the original's Secure Boot, Off");
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "Secure Boot Off (template MicrosoftWindows) as the original's")), done.toString());
    assertEquals(PowerState.RUNNING, recreated.getPowerState());
    var cloud = fixture.controller.server.cloud().get(cloudVm).orElseThrow();
    for (int i = 0; i < 2; i++) {
      assertEquals(cloud.disks().get(i).virtualSize(),
          recreated.getDisks(i).getVirtualSizeBytes());
      assertArrayEquals(fixture.cloudBytes(cloudVm, i),
          bytes(Path.of(recreated.getDisks(i).getPath())), "disk " + i);
    }
  }

  @Test
  void aRecreationCutByAControllerRestartBeforeTheVmWasCreatedRecreatesItThen()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    String cloudVm = fixture.failedOver();
    fixture.controller.server.cloud().guest(cloudVm).scribble(0, 20, 6);
    Files.delete(fixture.onPremDisk(0));
    Files.delete(fixture.onPremDisk(1));
    // What a controller stopped right after it launched the full download leaves: the job
    // running with what the request said, the item FAILING_BACK under it, no VM created yet.
    var jobs = fixture.controller.server.jobs();
    Job job = jobs.create("PlannedFailover", io.failback.proto.v1.FailoverDirection
        .CLOUD_TO_ON_PREM, "", java.util.Map.of(fixture.vmId, java.util.List.of()));
    jobs.editResume(job.getId(), r -> r.setDataSync(DataSync.FULL_DOWNLOAD));
    jobs.transition(job.getId(), JobState.JOB_RUNNING);
    fixture.controller.server.protectedItems().transition(fixture.vmId,
        ProtectionState.FAILED_OVER, ProtectionState.FAILING_BACK,
        b -> b.setActiveJobId(job.getId()));
    fixture.controller.restart();

    Job done = fixture.awaitState(fixture.controller.server.jobs().get(job.getId()),
        JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("recreated it there")), done.toString());
    var item = fixture.item();
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, item.getState());
    VirtualMachine recreated = vm(fixture, item.getOnPremVmId());
    assertFalse(recreated.hasSecureBoot(), "never reported: left to Hyper-V");
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "Secure Boot not known")), done.toString());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(fixture.cloudBytes(cloudVm, i),
          bytes(Path.of(recreated.getDisks(i).getPath())), "disk " + i);
    }
  }

  @Test
  void aVmWhoseDisksWereDeletedIsRecreatedByAFullDownload() throws Exception {
    recreateAfter(false);
  }

  @Test
  void aVmWhoseFolderWasDeletedIsRecreatedByAFullDownload() throws Exception {
    recreateAfter(true);
  }
}
