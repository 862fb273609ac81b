package io.failback.controller.cloud.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestPattern;
import io.failback.common.testing.guest.GuestReport;
import io.failback.common.testing.guest.GuestScript;
import io.failback.controller.cloud.CloudDevices;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import io.failback.controller.cloud.DiskFormat;
import io.failback.controller.cloud.GuestFamily;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cloud VM for a guest without virtio drivers (a Windows guest never prepared for this cloud)
 * gets SATA disks, which every OS drives with its own drivers; switched to virtio while OFF, its
 * guest finds the same bytes on virtio disks at the next start, and back again. Being Windows,
 * it boots with its real-time clock in the host's local time, as Hyper-V gave it (under TCG, as
 * here, without Hyper-V's enlightenments: see {@code DomainXml}).
 */
class KvmEmulatedDevicesTest {
  private static final long MIB = 1 << 20;
  private static final Duration BOOT = Duration.ofSeconds(120);
  // The guest reads its clock seconds before the host does, more on a busy machine; a zone's
  // offset from UTC is a multiple of 15 minutes.
  private static final long CLOCK_TOLERANCE_SECONDS = 120;

  @TempDir Path dir;

  @Test
  void theGuestFindsItsDataOnSataDisksAndOnVirtioOnesAfterTheSwitch() throws Exception {
    try (KvmTestCloud test = KvmTestCloud.open(dir, Duration.ofSeconds(10))) {
      KvmCloud cloud = test.cloud();
      CloudVm vm = cloud.create(new CloudVmSpec("win-1", "onprem-7",
          List.of(new DiskSpec("os", DiskFormat.VHDX, 32 * MIB),
              new DiskSpec("data", DiskFormat.VHDX, 16 * MIB)),
          List.of(), 256 * MIB, 1, 2, CloudDevices.EMULATED, GuestFamily.WINDOWS));
      assertEquals(CloudDevices.EMULATED, vm.devices());
      assertEquals(GuestFamily.WINDOWS, vm.guestFamily());
      byte[] seed = GuestPattern.bytes("seed", 2 * MIB, (int) MIB);
      try (BlockDevice disk = cloud.openDisk(vm.id(), 1, true)) {
        disk.write(2 * MIB, ByteBuffer.wrap(seed));
        disk.flush();
      }
      String xml = cloud.domainXml(vm.id());
      assertTrue(xml.contains("<target dev='sdb' bus='sata'/>") && !xml.contains("bus='virtio'"),
          xml);

      GuestReport sata = boot(test, cloud, vm, "sda", "sdb");
      assertRtcInLocalTime(sata, Instant.now());
      assertEquals(Optional.empty(), sata.diskSize("vdb"), "no virtio disk");
      // Linux names SATA disks in the order their ports finish probing, which varies.
      String data = sata.diskSize("sda").orElseThrow() == 16 * MIB ? "sda" : "sdb";
      assertEquals(Optional.of(16 * MIB), sata.diskSize(data), sata.lines().toString());
      assertEquals(Optional.of(GuestPattern.sha256(seed)), sata.sum(data, 2 * MIB, MIB),
          "the guest reads what replication wrote, through AHCI");

      cloud.setDevices(vm.id(), CloudDevices.VIRTIO);
      assertEquals(CloudDevices.VIRTIO, cloud.get(vm.id()).orElseThrow().devices());
      GuestReport virtio = boot(test, cloud, vm, "vdb");
      assertEquals(Optional.of(16 * MIB), virtio.diskSize("vdb"), virtio.lines().toString());
      assertEquals(Optional.empty(), virtio.diskSize("sdb"), "no SATA disk");
      assertEquals(Optional.of(GuestPattern.sha256(seed)), virtio.sum("vdb", 2 * MIB, MIB));

      cloud.setDevices(vm.id(), CloudDevices.EMULATED);
      GuestConsole running = test.start(vm.id(), new GuestScript().awaitAcpiShutdown());
      assertTrue(running.await("AWAITING-ACPI", BOOT).isPresent(), running::tail);
      String live = cloud.domainXml(vm.id());
      assertTrue(live.contains("<clock offset='localtime'>") && !live.contains("<hyperv")
          && !live.contains("hypervclock"), live);
      String qemu = Files.readString(KvmTestCloud.root().resolve("log").resolve("qemu")
          .resolve("failback-" + vm.id() + ".log"));
      assertTrue(qemu.contains("-rtc base=localtime"), qemu);
      CloudException refused = assertThrows(CloudException.class,
          () -> cloud.setDevices(vm.id(), CloudDevices.VIRTIO));
      assertEquals(CloudException.Kind.FAILED_PRECONDITION, refused.kind());
      cloud.shutdown(vm.id());
      assertEquals(CloudDevices.EMULATED, cloud.get(vm.id()).orElseThrow().devices(),
          "unchanged by the refused switch");
      assertTrue(running.report().diskSize("sda").isPresent(), "SATA again");
    }
  }

  /**
   * The guest's RTC, read as UTC seconds, is the host's local time when the guest read it:
   * {@code now} is just after. On a host in UTC (as these machines are) that shows only that the
   * clock runs at the host's time, not that it is offset.
   */
  private static void assertRtcInLocalTime(GuestReport report, Instant now) throws IOException {
    long rtc = report.lines().stream().filter(l -> l.startsWith("RTC "))
        .map(l -> Long.parseLong(l.substring("RTC ".length()))).findFirst()
        .orElseThrow(() -> new AssertionError("no RTC report: " + report.lines()));
    ZoneId zone = qemuZone();
    long local = now.getEpochSecond() + zone.getRules().getOffset(now).getTotalSeconds();
    assertTrue(Math.abs(local - rtc) <= CLOCK_TOLERANCE_SECONDS, "the guest's RTC reads " + rtc
        + " s, the host's local time (" + zone + ") is " + local + " s");
  }

  /** The zone of QEMU's local time: the host's /etc/localtime, as libvirt gives QEMU no TZ. */
  private static ZoneId qemuZone() throws IOException {
    Path localtime = Path.of("/etc/localtime");
    if (!Files.exists(localtime)) {
      return ZoneOffset.UTC;
    }
    String zoneFile = localtime.toRealPath().toString();
    int at = zoneFile.indexOf("/zoneinfo/");
    return at < 0 ? ZoneId.systemDefault() : ZoneId.of(zoneFile.substring(at + 10));
  }

  /** Boots the VM, has its guest sum the seeded region of each device, and shuts it down. */
  private static GuestReport boot(KvmTestCloud test, KvmCloud cloud, CloudVm vm,
      String... devices) throws Exception {
    GuestScript script = new GuestScript();
    for (String device : devices) {
      script.sum(device, 2 * MIB, MIB);
    }
    GuestConsole console = test.start(vm.id(), script.awaitAcpiShutdown());
    assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
    cloud.shutdown(vm.id());
    GuestReport report = console.report();
    assertEquals(List.of(), report.errors(), "every module loaded, every command ran");
    return report;
  }
}
