package io.failback.controller.cloud.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.guest.EfiBootDisk;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestPattern;
import io.failback.common.testing.guest.GuestReport;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import io.failback.controller.cloud.DiskFormat;
import io.failback.controller.cloud.PowerState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generation 2 Hyper-V VM in the KVM cloud: its disk boots through UEFI only, so its domain
 * runs UEFI firmware (OVMF) and boots from the VM's own disk, with a variable store of its own
 * that goes with the VM. Under the BIOS every domain had before, such a VM did not boot at all.
 */
class KvmUefiTest {
  private static final long MIB = 1 << 20;
  private static final long DISK = 32 * MIB;
  private static final Duration BOOT = Duration.ofSeconds(180);

  @TempDir Path dir;

  @Test
  void aGenerationTwoVmBootsFromItsOwnDiskThroughUefi() throws Exception {
    TinyGuest guest = TinyGuest.require();
    // What a failover delivers: the on-prem disk's bytes, here a GPT disk whose EFI system
    // partition holds a boot loader at the removable-media path, which starts the kernel with
    // the command line of its entry. Nothing but the firmware can start it. The guest sums the
    // whole disk: the partition tables, the boot loader and the kernel it booted.
    GuestScript script = new GuestScript().sum("vda", 0, DISK).awaitAcpiShutdown();
    byte[] image = Files.readAllBytes(EfiBootDisk.write(dir.resolve("esp.img"), DISK, guest,
        script));
    try (KvmTestCloud test = KvmTestCloud.open(dir, Duration.ofSeconds(10))) {
      KvmCloud cloud = test.cloud();
      CloudVm vm = cloud.create(new CloudVmSpec("app-gen2", "onprem-2",
          List.of(new DiskSpec("os", DiskFormat.VHDX, DISK)), List.of(), 256 * MIB, 1, 2));
      try (BlockDevice disk = cloud.openDisk(vm.id(), 0, true)) {
        disk.write(0, ByteBuffer.wrap(image));
        disk.flush();
      }

      Path log = cloud.vmDir(vm.id()).resolve("console.log");
      cloud.start(vm.id()); // no script set: the VM boots its own disk
      AtomicBoolean stop = new AtomicBoolean();
      GuestConsole console = GuestConsole.followFile(log, 0, stop);
      try {
        assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
        assertTrue(EfiBootDisk.REMOVABLE_MEDIA_BOOT.matcher(
            Files.readString(log, StandardCharsets.ISO_8859_1)).find(),
            "the firmware started the disk's removable-media path: " + console.tail());
        String xml = cloud.domainXml(vm.id());
        Matcher loader = Pattern.compile("<loader[^>]*>([^<]+)</loader>").matcher(xml);
        Matcher nvram = Pattern.compile("<nvram[^>]*>([^<]+)</nvram>").matcher(xml);
        assertTrue(loader.find() && loader.group(1).contains("OVMF") && nvram.find()
            && !xml.contains("<kernel>"), xml);
        Path store = Path.of(nvram.group(1));
        assertTrue(Files.isRegularFile(store), "the VM's own variable store " + store);

        cloud.shutdown(vm.id());
        assertEquals(PowerState.OFF, cloud.get(vm.id()).orElseThrow().state());
        GuestReport report = console.report();
        assertEquals(Optional.of(GuestPattern.sha256(image)), report.sum("vda", 0, DISK),
            "the guest reads the disk it booted from");
        assertEquals(Optional.of("acpi"), report.powerOffReason(), "shut down by the button");

        cloud.delete(vm.id());
        assertEquals(Optional.empty(), cloud.get(vm.id()));
        assertFalse(Files.exists(store), "the variable store is deleted with the VM");
      } finally {
        stop.set(true);
      }
    }
  }
}
