package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.ForwardingHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.CleanupTestFailbackRequest;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.CreateDrillVm;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.DeleteDrillVm;
import io.failback.proto.v1.FailbackDrill;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.TestFailbackRequest;
import io.failback.proto.v1.VirtualMachine;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failback drills (TestFailback, CleanupTestFailback) over real mutual TLS with the real agent:
 * the drill VM holds the cloud snapshot (qemu-img compare), starts isolated, and phase 1 sends
 * exactly the blocks in which the on-prem disks differ from the cloud's; the on-prem VM and its
 * disks are untouched, the cloud VM runs throughout, and cleanup leaves nothing behind.
 */
class TestFailbackTest {
  private static final int BLOCK = 64 * 1024;
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aDrillRunsAnIsolatedCopyOfTheCloudVmAndCleanupLeavesNothing() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> "localhost:" + port,
        host -> io.failback.agent.hyperv.simulated.SimulatedHostSeeder.secureBoot(host,
            "app-01", true, "MicrosoftUEFICertificateAuthority"), false);
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 24, 81);
    cloud.guest(cloudVm).scribble(1, 40, 82);
    byte[][] onPrem = {fixture.onPremBytes(0), fixture.onPremBytes(1)};
    byte[][] cloudDisks = {fixture.cloudBytes(cloudVm, 0), fixture.cloudBytes(cloudVm, 1)};
    long differing = differingBlocks(onPrem[0], cloudDisks[0])
        + differingBlocks(onPrem[1], cloudDisks[1]);
    assertTrue(differing > 20, "the cloud VM wrote too little to tell: " + differing);
    FileTime[] modified = {Files.getLastModifiedTime(fixture.onPremDisk(0)),
        Files.getLastModifiedTime(fixture.onPremDisk(1))};
    ProtectedItem before = fixture.item();
    var stub = operator(fixture);

    FailoverResponse checked = stub.testFailback(TestFailbackRequest.newBuilder()
        .addVmIds(fixture.vmId).setValidateOnly(true).build());
    assertFalse(checked.hasJob(), "validate_only starts nothing: " + checked);
    assertEquals(before, fixture.item());

    Job drill = stub.testFailback(TestFailbackRequest.newBuilder().addVmIds(fixture.vmId)
        .build()).getJob();
    assertEquals("TestFailback", drill.getKind());
    Job done = fixture.awaitState(drill, JobState.JOB_SUCCEEDED);

    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILED_OVER, item.getState());
    assertEquals(before.getGeneration(), item.getGeneration(), "a drill moves no active site");
    assertEquals(List.of("CleanupTestFailback"), item.getAllowedActionsList());
    FailbackDrill record = item.getDrill();
    assertTrue(record.getRunning() && !record.getVmId().isEmpty()
        && record.getHost().equals("hv-01") && record.getJobId().equals(drill.getId())
        && record.hasPredictedDowntime() && record.hasPhaseOne()
        && record.getPhaseOneBytesOnWire() > 0, record.toString());
    // Phase 1 sent exactly the blocks in which the seeded copy (the on-prem disks) differs.
    long sent = LifecycleFixture.diskTasks(done).stream()
        .mapToLong(t -> t.getProgress().getBlocksSent() + t.getProgress().getBlocksZero())
        .sum();
    assertEquals(differing, sent, done.getTasksList().toString());
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("runs isolated on host hv-01")), done.toString());

    VirtualMachine drillVm = hostVm(fixture, record.getVmId());
    assertEquals(io.failback.proto.v1.PowerState.RUNNING, drillVm.getPowerState());
    assertEquals(0, drillVm.getNetworkAdaptersCount(), "a drill VM is isolated: " + drillVm);
    assertEquals("MicrosoftUEFICertificateAuthority", drillVm.getSecureBoot().getTemplateName(),
        "the on-prem VM's Secure Boot, or the drill VM's guest would not boot: " + drillVm);
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(cloudDisks[i], bytes(Path.of(drillVm.getDisks(i).getPath())),
          "drill disk " + i + " differs from the cloud snapshot");
      Path raw = Files.write(dir.resolve("cloud" + i + ".raw"), cloudDisks[i]);
      FailbackFullDownloadTest.qemuImgCompare(Path.of(drillVm.getDisks(i).getPath()), "vhdx",
          raw, "raw");
      assertArrayEquals(onPrem[i], fixture.onPremBytes(i), "on-prem disk " + i + " changed");
      assertEquals(modified[i], Files.getLastModifiedTime(fixture.onPremDisk(i)),
          "on-prem disk " + i + " was written");
    }
    assertEquals(io.failback.proto.v1.PowerState.OFF, fixture.onPremVm().getPowerState());
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());
    assertEquals(OnPremBefore.trackingPoint(fixture.item()), cloud.snapshots(cloudVm),
        "the drill's snapshot was kept");

    // While the drill VM exists a failback is refused, naming the way out.
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> stub.plannedFailover(PlannedFailoverRequest.newBuilder().addVmIds(fixture.vmId)
            .setDataSync(io.failback.proto.v1.DataSync.FULL_DOWNLOAD).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("CleanupTestFailback"),
        refused.getStatus().getDescription());

    Job cleaned = fixture.awaitState(stub.cleanupTestFailback(CleanupTestFailbackRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertEquals("CleanupTestFailback", cleaned.getKind());
    ProtectedItem after = fixture.item();
    assertFalse(after.hasDrill(), after.toString());
    assertEquals(List.of("PlannedFailover", "TestFailback", "RestartCloudVm",
        "DisableProtection"),
        after.getAllowedActionsList());
    assertEquals(List.of(fixture.vmId), new io.failback.agent.hyperv.simulated
        .SimulatedHypervisor(fixture.hostDir).inventory().getVirtualMachinesList().stream()
        .map(VirtualMachine::getId).toList(), "the drill VM is still on the host");
    try (var left = Files.list(fixture.hostDir.resolve("vms"))) {
      assertEquals(1, left.count(), "the drill VM's folder was left behind");
    }
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(onPrem[i], fixture.onPremBytes(i), "on-prem disk " + i + " changed");
    }
    // Only a drill VM is the agent's to delete: the on-prem VM is refused and stays.
    CommandResult delete = fixture.command(Command.newBuilder().setDeleteDrillVm(
        DeleteDrillVm.newBuilder().setVmId(fixture.vmId)));
    assertTrue(delete.getError().contains("was not created by this agent for a failback"
        + " drill"), delete.toString());
    assertEquals(fixture.vmId, fixture.onPremVm().getId());
    // A drill VM has no network adapter, whoever asks.
    CommandResult wired = fixture.command(Command.newBuilder().setCreateDrillVm(
        CreateDrillVm.newBuilder().setVm(CreateVm.newBuilder().setName("x").setGeneration(2)
            .setMemoryBytes(512L << 20).setProcessorCount(1).addSwitchNames("LAN")
            .addDiskSizes(1L << 20))));
    assertTrue(wired.getError().contains("no network adapter"), wired.toString());
  }

  @Test
  void aDrillOnAnotherHostStartsFromEmptyDisksAndSendsEveryBlockThatIsNotZero()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    String cloudVm = fixture.failedOver();
    fixture.startEmptyHost("hv-02", "LAN");
    byte[][] cloudDisks = {fixture.cloudBytes(cloudVm, 0), fixture.cloudBytes(cloudVm, 1)};
    long nonZero = differingBlocks(cloudDisks[0], new byte[cloudDisks[0].length])
        + differingBlocks(cloudDisks[1], new byte[cloudDisks[1].length]);

    Job done = fixture.awaitState(operator(fixture).testFailback(TestFailbackRequest
        .newBuilder().addVmIds(fixture.vmId).setTargetHost("hv-02").build()).getJob(),
        JobState.JOB_SUCCEEDED);
    FailbackDrill record = fixture.item().getDrill();
    assertEquals("hv-02", record.getHost());
    long sent = LifecycleFixture.diskTasks(done).stream()
        .mapToLong(t -> t.getProgress().getBlocksSent()).sum();
    assertEquals(nonZero, sent, done.getTasksList().toString());
    VirtualMachine drillVm = new io.failback.agent.hyperv.simulated.SimulatedHypervisor(
        fixture.hostDir.resolveSibling("hv-02")).inventory().getVirtualMachines(0);
    assertEquals(record.getVmId(), drillVm.getId());
    assertEquals(0, drillVm.getNetworkAdaptersCount());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(cloudDisks[i], bytes(Path.of(drillVm.getDisks(i).getPath())),
          "drill disk " + i);
    }
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("its disks start empty (another host)")), done.toString());
    fixture.awaitState(operator(fixture).cleanupTestFailback(CleanupTestFailbackRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertEquals(0, new io.failback.agent.hyperv.simulated.SimulatedHypervisor(
        fixture.hostDir.resolveSibling("hv-02")).inventory().getVirtualMachinesCount());
  }

  @Test
  void aDrillThatFailsRemovesItsVmAndTheItemStaysFailedOver() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withDriver(dir, cleanup,
        driver -> new ForwardingHypervisor(driver) {
          @Override
          public void startVm(String vmId) throws IOException {
            if (inventory().getVirtualMachinesList().stream().anyMatch(v -> v.getId()
                .equals(vmId) && v.getName().contains("-drill-"))) {
              throw new IOException("simulated start failure");
            }
            super.startVm(vmId);
          }
        });
    String cloudVm = fixture.failedOver();
    fixture.controller.server.cloud().guest(cloudVm).scribble(1, 10, 83);
    byte[] onPrem = fixture.onPremBytes(1);

    Job drill = operator(fixture).testFailback(TestFailbackRequest.newBuilder()
        .addVmIds(fixture.vmId).build()).getJob();
    Job failed = fixture.awaitState(drill, JobState.JOB_FAILED);
    JobTask vm = LifecycleFixture.vmTask(failed);
    assertTrue(vm.getError().contains("simulated start failure")
        && vm.getError().contains("was removed"), vm.toString());
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILED_OVER, item.getState());
    assertFalse(item.hasDrill(), item.toString());
    assertEquals(List.of("PlannedFailover", "TestFailback", "RestartCloudVm",
        "DisableProtection"),
        item.getAllowedActionsList());
    assertEquals(1, new io.failback.agent.hyperv.simulated.SimulatedHypervisor(fixture.hostDir)
        .inventory().getVirtualMachinesCount(), "the drill VM was left behind");
    assertArrayEquals(onPrem, fixture.onPremBytes(1));
    assertEquals(PowerState.RUNNING,
        fixture.controller.server.cloud().get(cloudVm).orElseThrow().state());
    assertEquals(OnPremBefore.trackingPoint(fixture.item()),
        fixture.controller.server.cloud().snapshots(cloudVm));
  }

  @Test
  void aDrillCutByAControllerRestartLeavesItsVmForCleanup() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup,
        PausingProxy.into(proxy, cleanup));
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(1, 40, 84);
    byte[] onPrem = fixture.onPremBytes(1);
    // Stalls inside phase 1, once the drill VM exists (its creation answers with an inventory).
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 64 * 1024);
    Job drill = operator(fixture).testFailback(TestFailbackRequest.newBuilder()
        .addVmIds(fixture.vmId).build()).getJob();
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "the drill never got going");

    fixture.controller.restart();
    proxy[0].resume();
    fixture.awaitAgentOnline();
    Job failed = fixture.awaitState(drill, JobState.JOB_FAILED);
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILED_OVER, item.getState());
    assertEquals("", item.getActiveJobId(), item.toString());
    assertTrue(item.getDrill().getFailure().contains("run CleanupTestFailback"),
        item.toString());
    assertEquals(List.of("CleanupTestFailback"), item.getAllowedActionsList());
    assertEquals(PowerState.RUNNING,
        fixture.controller.server.cloud().get(cloudVm).orElseThrow().state());

    fixture.awaitState(operator(fixture).cleanupTestFailback(CleanupTestFailbackRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertFalse(fixture.item().hasDrill());
    assertEquals(1, new io.failback.agent.hyperv.simulated.SimulatedHypervisor(fixture.hostDir)
        .inventory().getVirtualMachinesCount(), "the drill VM was left behind: " + failed);
    assertEquals(OnPremBefore.trackingPoint(fixture.item()),
        fixture.controller.server.cloud().snapshots(cloudVm), "the drill's snapshot was kept");
    assertArrayEquals(onPrem, fixture.onPremBytes(1));
  }

  @Test
  void aDrillCancelledWhileItsHostDoesNotAnswerEndsWithinSecondsAndCleanupRemovesItsVm()
      throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup,
        PausingProxy.into(proxy, cleanup));
    String cloudVm = fixture.failedOver();
    // Nothing reaches the agent from here (the drill VM's creation included); its heartbeats
    // still reach the controller, so the host stays online and the command waits.
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 0);
    Job drill = operator(fixture).testFailback(TestFailbackRequest.newBuilder()
        .addVmIds(fixture.vmId).build()).getJob();
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "no command went to the agent");
    AgentKilledMidFailbackTest.awaitStep(fixture, drill, "failback drill started on host hv-01");
    Thread.sleep(500);

    Job ended = AgentKilledMidFailbackTest.cancelWithinSeconds(fixture, drill);
    assertTrue(ended.toString().contains("a drill VM may be left on host hv-01: run"
        + " CleanupTestFailback"), ended.toString());
    assertEquals(List.of("CleanupTestFailback"), fixture.item().getAllowedActionsList());
    assertEquals(PowerState.RUNNING,
        fixture.controller.server.cloud().get(cloudVm).orElseThrow().state());

    // The creation was only delayed: the agent makes the drill VM once the link moves.
    proxy[0].resume();
    var host = new io.failback.agent.hyperv.simulated.SimulatedHypervisor(fixture.hostDir);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (host.inventory().getVirtualMachinesCount() < 2) {
      assertTrue(System.nanoTime() < deadline, "the late creation never came");
      Thread.sleep(50);
    }
    fixture.awaitState(operator(fixture).cleanupTestFailback(CleanupTestFailbackRequest
        .newBuilder().addVmIds(fixture.vmId).build()).getJob(), JobState.JOB_SUCCEEDED);
    assertFalse(fixture.item().hasDrill());
    assertEquals(List.of(fixture.vmId), host.inventory().getVirtualMachinesList().stream()
        .map(VirtualMachine::getId).toList());
  }

  @Test
  void aDrillVmWhoseCreationTheControllerNeverHeardOfIsFoundAndRemovedByCleanup()
      throws Exception {
    java.util.concurrent.CountDownLatch creating = new java.util.concurrent.CountDownLatch(1);
    LifecycleFixture fixture = LifecycleFixture.withDriver(dir, cleanup,
        driver -> new ForwardingHypervisor(driver) {
          @Override
          public VirtualMachine createVm(io.failback.agent.hyperv.NewVm spec)
              throws IOException {
            VirtualMachine made = super.createVm(spec);
            creating.countDown();
            try {
              Thread.sleep(2000); // the controller restarts before the answer goes out
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return made;
          }
        });
    fixture.failedOver();
    Job drill = operator(fixture).testFailback(TestFailbackRequest.newBuilder()
        .addVmIds(fixture.vmId).build()).getJob();
    assertTrue(creating.await(60, TimeUnit.SECONDS), "the drill VM was never created");
    fixture.controller.restart();
    fixture.awaitAgentOnline();
    fixture.awaitState(drill, JobState.JOB_FAILED);
    assertEquals("", fixture.item().getDrill().getVmId(), fixture.item().toString());
    var host = new io.failback.agent.hyperv.simulated.SimulatedHypervisor(fixture.hostDir);
    assertEquals(2, host.inventory().getVirtualMachinesCount(), "no drill VM to find");

    Job cleaned = fixture.awaitState(operator(fixture).cleanupTestFailback(
        CleanupTestFailbackRequest.newBuilder().addVmIds(fixture.vmId).build()).getJob(),
        JobState.JOB_SUCCEEDED);
    assertEquals(List.of(fixture.vmId), host.inventory().getVirtualMachinesList().stream()
        .map(VirtualMachine::getId).toList(), cleaned.toString());
  }

  private static long differingBlocks(byte[] a, byte[] b) {
    long differing = 0;
    for (int at = 0; at < a.length; at += BLOCK) {
      if (!Arrays.equals(a, at, at + BLOCK, b, at, at + BLOCK)) {
        differing++;
      }
    }
    return differing;
  }

  private static VirtualMachine hostVm(LifecycleFixture fixture, String id) throws Exception {
    return new io.failback.agent.hyperv.simulated.SimulatedHypervisor(fixture.hostDir)
        .inventory().getVirtualMachinesList().stream().filter(v -> v.getId().equals(id))
        .findFirst().orElseThrow(() -> new AssertionError("no VM " + id + " on the host"));
  }

  private static byte[] bytes(Path disk) throws Exception {
    try (BlockDevice device = BlockDevices.open(disk, false)) {
      return LifecycleFixture.contents(device);
    }
  }

  private FailoverServiceGrpc.FailoverServiceBlockingStub operator(LifecycleFixture fixture)
      throws Exception {
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    return FailoverServiceGrpc.newBlockingStub(channel);
  }
}
