package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.LifecycleException;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.PreflightProblem;
import io.failback.proto.v1.PreflightReport;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.VirtualDisk;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk of a protected VM resized on its host: the replica keeps the shape protection gave
 * it. Its delta cycles and its failover to the cloud say so, with what to do, and the failover
 * is refused before the on-prem VM is stopped (it failed half-way, after stopping it, before).
 */
class ReplicaShapeTest {
  private static final long MIB = 1L << 20;
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aDiskResizedSinceProtectionStopsTheCyclesAndIsRefusedBeforeTheVmStops()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    Path raw = fixture.onPremDisk(1);
    try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
      file.setLength(17 * MIB); // grown by its administrator, from 16 MiB
    }
    awaitReportedSize(fixture, 17 * MIB);
    String said = "disk 1 of VM app-01 (" + raw + ") is 17.0 MiB on host hv-01, 16.0 MiB in its"
        + " replica (resized since protection); a replica keeps the disks protection gave it:"
        + " protect the VM again (failback unprotect VM --yes, then failback protect VM) to copy"
        + " every disk anew";

    LifecycleException cycle = assertThrows(LifecycleException.class,
        () -> lifecycle.replicateNow(fixture.vmId));
    assertEquals(said, cycle.getMessage());

    PreflightReport preflight = lifecycle.preflight(Targets.of(List.of(fixture.vmId)),
        DataSync.DATA_SYNC_UNSPECIFIED, Optional.empty(), Optional.empty());
    assertEquals(List.of(PreflightProblem.newBuilder().setVmId(fixture.vmId)
        .setCheck("disk_layout").setMessage(said).build()), preflight.getProblemsList());

    LifecycleException failover = assertThrows(LifecycleException.class,
        () -> lifecycle.plannedFailover(fixture.vmId, DataSync.DATA_SYNC_UNSPECIFIED));
    assertEquals("cannot fail over to the cloud: " + said, failover.getMessage());
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    assertEquals(PowerState.RUNNING, fixture.onPremVm().getPowerState(), "never stopped");
    assertTrue(fixture.controller.server.jobs().list(fixture.vmId).stream()
        .allMatch(j -> j.getKind().equals("EnableProtection")), "no failover job");
  }

  @Test
  void aDiskResizedOnPremWhileFailedOverIsRefusedBeforeTheFailbackWrites() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    Path raw = fixture.onPremDisk(1);
    try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
      file.setLength(17 * MIB);
    }
    awaitReportedSize(fixture, 17 * MIB);
    String said = "disk 1 of VM app-01 (" + raw + ") is 17.0 MiB on host hv-01, 16.0 MiB in the"
        + " cloud VM (resized since protection); a failback writes each of the cloud VM's disks"
        + " into the on-prem disk of its place: give the on-prem VM back the disks it had, or"
        + " fail back to another host (target_host), where a VM of the cloud VM's shape is"
        + " created";

    PreflightReport preflight = lifecycle.preflight(Targets.of(List.of(fixture.vmId)),
        DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty());
    assertEquals(List.of("disk_layout: " + said), preflight.getProblemsList().stream()
        .map(p -> p.getCheck() + ": " + p.getMessage()).toList());
    LifecycleException failback = assertThrows(LifecycleException.class,
        () -> lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER));
    assertEquals("cannot fail back: " + said, failback.getMessage());
    assertEquals(ProtectionState.FAILED_OVER, fixture.item().getState());
    assertEquals(io.failback.controller.cloud.PowerState.RUNNING,
        fixture.controller.server.cloud().get(cloudVm).orElseThrow().state());
    assertEquals(17 * MIB, java.nio.file.Files.size(raw), "the on-prem disk is untouched");
  }

  private static void awaitReportedSize(LifecycleFixture fixture, long size) throws Exception {
    fixture.controller.server.registry().refreshInventory("hv-01");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (fixture.controller.server.registry().host("hv-01").orElseThrow().getInventory()
        .getVirtualMachinesList().stream().flatMap(vm -> vm.getDisksList().stream())
        .map(VirtualDisk::getVirtualSizeBytes).noneMatch(s -> s == size)) {
      assertTrue(System.nanoTime() < deadline, "the controller never heard of it");
      Thread.sleep(10);
    }
  }
}
