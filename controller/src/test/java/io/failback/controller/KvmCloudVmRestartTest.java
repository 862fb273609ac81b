package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Windows-reporting VM failed over to the KVM cloud on SATA disks, its guest writing; the
 * operator restarts its cloud VM on virtio disks (as once the virtio-win drivers are in), with
 * force, and the guest writes again. The failback's phase 1 is still tracked from the failover
 * and sends exactly the blocks both boots wrote, and the on-prem disks end equal to the cloud's.
 */
class KvmCloudVmRestartTest {
  private static final long MIB = 1 << 20;
  private static final long SATA_AT = 4 * MIB;
  private static final long VIRTIO_AT = 8 * MIB;
  private static final int REGION = 64 << 10;
  private static final Duration BOOT = Duration.ofSeconds(120);

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theCloudVmRestartsOnVirtioAndTheFailbackSendsWhatBothBootsWrote() throws Exception {
    TinyGuest guest = TinyGuest.require();
    AtomicReference<GuestScript> nextBoot = new AtomicReference<>();
    CloudChoice kvm = KvmLifecycleTest.kvm(dir, guest, Duration.ofSeconds(30), nextBoot::get);
    LifecycleFixture fixture = KvmFailovers.protectedWindowsVm(dir, cleanup, kvm);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.item().getCloudVmId();

    // Both SATA disks get the region: Linux names them in the order their ports probe.
    nextBoot.set(new GuestScript().write("sda", SATA_AT, REGION, "sata")
        .write("sdb", SATA_AT, REGION, "sata").awaitAcpiShutdown());
    Job failover = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    assertStep(failover, "its writes tracked from the first");
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    Path log = dir.resolve("kvm/vms").resolve(cloudVm).resolve("console.log");
    awaitGuest(log, 0);

    long before = Files.size(log);
    nextBoot.set(new GuestScript().write("vda", VIRTIO_AT, REGION, "virtio")
        .write("vdb", VIRTIO_AT, REGION, "virtio").awaitAcpiShutdown());
    Job restart = fixture.awaitState(lifecycle.restartCloudVm(Targets.of(List.of(fixture.vmId)),
        CloudDevices.VIRTIO, true), JobState.JOB_SUCCEEDED);
    assertStep(restart, "cloud VM " + cloudVm + " powered off at once (force)");
    assertStep(restart, "devices SATA disks and e1000e NICs → virtio from this start on");
    assertEquals(CloudDevices.VIRTIO, fixture.item().getCloudDevices());
    // libvirt may truncate the log at the start: then it is followed from its beginning.
    awaitGuest(log, Files.size(log) < before ? 0 : before);

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertStep(waiting, "phase 1 sends only the 4 blocks the cloud VM wrote since the"
        + " failover");
    assertStep(waiting, "p1 (TRACKED) verified: whole-disk digests equal on both sides");
    fixture.awaitState(lifecycle.completeFailover(failback.getId()), JobState.JOB_SUCCEEDED);
    fixture.assertOnPremEqualsCloud(cloudVm);
    for (int disk = 0; disk < 2; disk++) {
      byte[] onPrem = fixture.onPremBytes(disk);
      assertEquals("sata", new String(onPrem, (int) SATA_AT, 4, StandardCharsets.US_ASCII));
      assertEquals("virtio", new String(onPrem, (int) VIRTIO_AT, 6, StandardCharsets.US_ASCII));
    }
  }

  /** Waits for the boot logged from byte {@code from} on to have run its commands. */
  private void awaitGuest(Path log, long from) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    cleanup.register(() -> stop.set(true));
    GuestConsole console = GuestConsole.followFile(log, from, stop);
    assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
    assertEquals(List.of(), console.report().errors(), console::tail);
  }

  private static void assertStep(Job job, String text) {
    assertTrue(job.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains(text)), text + " not in " + job.getTimelineList());
  }
}
