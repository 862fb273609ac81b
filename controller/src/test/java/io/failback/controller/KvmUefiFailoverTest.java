package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.guest.EfiBootDisk;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestPattern;
import io.failback.common.testing.guest.GuestReport;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.JobState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
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
    Booted booted = failOver("", new GuestScript().sum("vda", 0, DISK));
    assertEquals(Optional.of(GuestPattern.sha256(booted.bootDisk())),
        booted.report().sum("vda", 0, DISK), "the cloud guest reads the disk it booted from");
  }

  /**
   * A generation 2 Windows VM, as most are: its cloud copy's disks are SATA (Windows has no
   * virtio drivers), and the firmware boots the system disk through AHCI.
   */
  @Test
  void aGenerationTwoWindowsVmBootsItsReplicatedDiskThroughUefiFromSata() throws Exception {
    // Linux names SATA disks in probe order: both are summed over the smaller one's 16 MiB.
    Booted booted = failOver("Windows Server 2022 Datacenter",
        new GuestScript().sum("sda", 0, 16 * MIB).sum("sdb", 0, 16 * MIB));
    GuestReport report = booted.report();
    String system = report.diskSize("sda").orElseThrow() == DISK ? "sda" : "sdb";
    assertEquals(Optional.of((long) DISK), report.diskSize(system), report.lines().toString());
    assertEquals(Optional.of(GuestPattern.sha256(Arrays.copyOf(booted.bootDisk(), 16 * MIB))),
        report.sum(system, 0, 16 * MIB), "the cloud guest reads the disk it booted from");
    assertEquals(Optional.empty(), report.diskSize("vda"), "no virtio disk");
  }

  /**
   * A generation 2 Debian VM whose GRUB is only at {@code \EFI\debian\} (Debian's default): it
   * boots on-prem through the entry its installer wrote into the VM's firmware, which Hyper-V
   * keeps outside the disks. Its cloud copy gets that entry from Failback, read off the replica's
   * EFI system partition, and boots through it; without it the firmware finds nothing to boot.
   */
  @Test
  void aGenerationTwoDebianVmBootsThroughTheBootEntryFailbackWrote() throws Exception {
    Booted booted = failOver("Debian GNU/Linux 12 (bookworm)", "debian", "grubx64.efi",
        new GuestScript().sum("vda", 0, DISK));
    assertEquals(Optional.of(GuestPattern.sha256(booted.bootDisk())),
        booted.report().sum("vda", 0, DISK), "the cloud guest reads the disk it booted from");

    // Restarted on SATA: the entry names the partition alone (short-form HD()), not the
    // controller, so the firmware finds it through AHCI as well; nothing rewrites it.
    Path log = dir.resolve("kvm/vms").resolve(booted.cloudVm()).resolve("console.log");
    long before = Files.size(log);
    booted.fixture().awaitState(booted.fixture().controller.server.lifecycle().restartCloudVm(
        Targets.of(List.of(booted.fixture().vmId)), CloudDevices.EMULATED, true),
        JobState.JOB_SUCCEEDED);
    // libvirt may truncate the log at the start: then it is read from its beginning.
    long from = Files.size(log) < before ? 0 : before;
    AtomicBoolean stop = new AtomicBoolean();
    cleanup.register(() -> stop.set(true));
    GuestConsole again = GuestConsole.followFile(log, from, stop);
    assertTrue(again.await("AWAITING-ACPI", BOOT).isPresent(), again::tail);
    String firmware = Files.readString(log, StandardCharsets.ISO_8859_1)
        .substring((int) from);
    assertTrue(firmware.contains("BdsDxe: starting Boot0000 \"Failback: \\EFI\\DEBIAN\\"
        + "GRUBX64.EFI\" from HD(1,GPT,"), "the firmware started the entry: " + again.tail());
    assertEquals(Optional.of((long) DISK), again.report().diskSize("sda"),
        again.report().lines().toString());
    assertEquals(Optional.empty(), again.report().diskSize("vda"), "no virtio disk");

    // It stays in the cloud for good: the running domain is kept, its tracking checkpoint goes.
    var lifecycle = booted.fixture().controller.server.lifecycle();
    booted.fixture().awaitState(lifecycle.commit(booted.fixture().vmId), JobState.JOB_SUCCEEDED);
    var cloud = booted.fixture().controller.server.cloud();
    assertEquals(1, cloud.snapshots(booted.cloudVm()).size(), "the failover's tracking point");
    booted.fixture().awaitState(lifecycle.disableProtection(Targets.of(List.of(
        booted.fixture().vmId)), booted.fixture().controller.server.recoveryPlans(), true),
        JobState.JOB_SUCCEEDED);
    assertEquals(io.failback.controller.cloud.PowerState.RUNNING,
        cloud.get(booted.cloudVm()).orElseThrow().state());
    assertEquals(List.of(), cloud.snapshots(booted.cloudVm()), "no checkpoint left");
  }

  private record Booted(byte[] bootDisk, GuestReport report, LifecycleFixture fixture,
      String cloudVm) {}

  /**
   * Protects the seeded generation 2 VM, whose guest reports {@code guestOs}, with an EFI boot
   * disk as its system disk, fails it over and waits for the cloud guest to run {@code script}.
   */
  private Booted failOver(String guestOs, GuestScript script) throws Exception {
    return failOver(guestOs, "BOOT", "BOOTX64.EFI", script);
  }

  /** As {@link #failOver(String, GuestScript)}, the loader at {@code \EFI\vendor\loader}. */
  private Booted failOver(String guestOs, String vendor, String loader, GuestScript script)
      throws Exception {
    TinyGuest guest = TinyGuest.require();
    // No host kernel: the VM's own disks boot.
    CloudChoice kvm = KvmLifecycleTest.kvm(dir, guest, Duration.ofSeconds(30), () -> null);
    byte[][] bootDisk = new byte[1][];
    LifecycleFixture fixture = KvmFailovers.fixture(dir, cleanup, kvm, host -> {
      SimulatedHostSeeder.guestOs(host, "app-01", guestOs);
      // The seeded VM is generation 2: its system disk becomes an EFI boot disk of its size.
      Path raw = EfiBootDisk.write(dir.resolve("esp.img"), DISK, guest,
          script.awaitAcpiShutdown(), vendor, loader);
      bootDisk[0] = Files.readAllBytes(raw);
      OnPremDisks.replaceSystemDisk(host, raw);
    });
    assertEquals(2, fixture.onPremVm().getGeneration());
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    var protect = fixture.awaitState(lifecycle.enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    boolean removable = vendor.equals("BOOT");
    String path = "\\EFI\\" + vendor.toUpperCase(java.util.Locale.ROOT) + "\\"
        + loader.toUpperCase(java.util.Locale.ROOT);
    assertTrue(protect.getTimelineList().stream().anyMatch(s -> removable
        ? s.getDescription().equals("boot check: the cloud copy boots by itself: its EFI system"
            + " partition holds \\EFI\\BOOT\\BOOTX64.EFI (disk 0)")
        : s.getDescription().startsWith("boot check: its EFI system partition has no"
            + " \\EFI\\BOOT\\BOOTX64.EFI, only " + path + " (disk 0); the cloud copy boots"
            + " through the entry Failback wrote into its firmware's variable store, as the"
            + " guest's OS did on-prem: HD(1,GPT,") && s.getDescription().endsWith(")/" + path)),
        protect.toString());
    assertEquals("", fixture.item().getBootWarning());
    String cloudVm = fixture.item().getCloudVmId();
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);

    Path log = dir.resolve("kvm/vms").resolve(cloudVm).resolve("console.log");
    GuestConsole console = KvmFailovers.console(dir, cleanup, cloudVm);
    assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
    String firmware = Files.readString(log, StandardCharsets.ISO_8859_1);
    assertTrue(removable ? EfiBootDisk.REMOVABLE_MEDIA_BOOT.matcher(firmware).find()
        : firmware.contains("BdsDxe: starting Boot0000 \"Failback: " + path + "\" from HD(1,GPT,"),
        "the firmware started the disk's " + (removable ? "removable-media path" : "entry")
            + ": " + console.tail());
    return new Booted(bootDisk[0], console.report(), fixture, cloudVm);
  }
}
