package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.guest.EfiBootDisk;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestPattern;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.JobState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A generation 2 Hyper-V VM failed over to the KVM cloud, booting its own replicated disk. */
class KvmUefiFailoverTest {
  private static final int MIB = 1 << 20;
  private static final int DISK = 32 * MIB; // the seeded VM's system disk
  private static final Duration BOOT = Duration.ofSeconds(120);

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  /**
   * A generation 2 VM's disk boots through UEFI only: replicated into the KVM cloud and failed
   * over, its cloud copy boots that disk under UEFI firmware, and the guest on it reads the data
   * it booted from. Under the BIOS every cloud VM had before, it never came up.
   */
  @Test
  void aGenerationTwoVmFailedOverBootsItsReplicatedDiskThroughUefi() throws Exception {
    TinyGuest guest = TinyGuest.require();
    // No host kernel: the VM's own disks boot.
    CloudChoice kvm = KvmLifecycleTest.kvm(dir, guest, Duration.ofSeconds(30), () -> null);
    GuestScript script = new GuestScript().sum("vda", 0, DISK).awaitAcpiShutdown();
    byte[][] bootDisk = new byte[1][];
    LifecycleFixture fixture = KvmFailovers.fixture(dir, cleanup, kvm, host -> {
      // The seeded VM is generation 2: its system disk becomes an EFI boot disk of its size.
      Path vhdx;
      try (Stream<Path> files = Files.walk(host)) {
        vhdx = files.filter(f -> f.toString().endsWith("-disk0.vhdx")).findFirst().orElseThrow();
      }
      Path raw = EfiBootDisk.write(dir.resolve("esp.img"), DISK, guest, script);
      bootDisk[0] = Files.readAllBytes(raw);
      Files.delete(vhdx);
      Process convert = new ProcessBuilder("qemu-img", "convert", "-f", "raw", "-O", "vhdx",
          raw.toString(), vhdx.toString()).inheritIO().start();
      assertTrue(convert.waitFor(60, TimeUnit.SECONDS) && convert.exitValue() == 0);
    });
    assertEquals(2, fixture.onPremVm().getGeneration());
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);

    Path log = dir.resolve("kvm/vms").resolve(cloudVm).resolve("console.log");
    GuestConsole console = KvmFailovers.console(dir, cleanup, cloudVm);
    assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
    assertTrue(EfiBootDisk.REMOVABLE_MEDIA_BOOT.matcher(
        Files.readString(log, StandardCharsets.ISO_8859_1)).find(),
        "the firmware started the disk's removable-media path: " + console.tail());
    assertEquals(Optional.of(GuestPattern.sha256(bootDisk[0])),
        console.report().sum("vda", 0, DISK), "the cloud guest reads the disk it booted from");
  }
}
