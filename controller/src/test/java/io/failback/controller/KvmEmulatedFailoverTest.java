package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestPattern;
import io.failback.common.testing.guest.GuestReport;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.JobState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM whose guest reports Windows, failed over to the KVM cloud: its cloud copy's disks are
 * SATA, which Windows drives without virtio drivers, and the guest reads the replicated data
 * through them. On virtio disks, as every cloud VM had before, Windows would not find its boot
 * disk; the tiny guest stands in for it (it has both drivers, so the disk names tell which).
 */
class KvmEmulatedFailoverTest {
  private static final int MIB = 1 << 20;
  private static final Duration BOOT = Duration.ofSeconds(120);

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aWindowsGuestsCloudCopyReadsItsReplicatedDisksThroughSata() throws Exception {
    TinyGuest guest = TinyGuest.require();
    CloudChoice kvm = KvmLifecycleTest.kvm(dir, guest, Duration.ofSeconds(30),
        () -> new GuestScript().sum("sda", 0, MIB).sum("sdb", 0, MIB).awaitAcpiShutdown());
    LifecycleFixture fixture = KvmFailovers.protectedWindowsVm(dir, cleanup, kvm);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.item().getCloudVmId();
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);

    GuestConsole console = KvmFailovers.console(dir, cleanup, cloudVm);
    assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
    GuestReport report = console.report();
    assertEquals(List.of(), report.errors(), report.lines().toString());
    assertEquals(Optional.empty(), report.diskSize("vda"), "no virtio disk");
    // Linux names SATA disks in the order their ports finish probing, which varies: a disk is
    // known by its size (the on-prem system disk is 32 MiB, the data disk 16 MiB).
    for (String device : List.of("sda", "sdb")) {
      int disk = report.diskSize(device).orElseThrow() == 32L * MIB ? 0 : 1;
      assertEquals(Optional.of(GuestPattern.sha256(Arrays.copyOf(fixture.onPremBytes(disk),
          MIB))), report.sum(device, 0, MIB), "the cloud guest reads on-prem disk " + disk
          + " through AHCI as " + device);
    }
    assertEquals(List.of(32L * MIB, 16L * MIB), List.of(report.diskSize("sda").orElseThrow(),
        report.diskSize("sdb").orElseThrow()).stream().sorted((a, b) -> Long.compare(b, a))
        .toList(), "both disks, once each");
  }
}
