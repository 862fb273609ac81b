package io.failback.controller.cloud.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestPattern;
import io.failback.common.testing.guest.GuestReport;
import io.failback.common.testing.guest.GuestScript;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import io.failback.controller.cloud.DiskFormat;
import io.failback.controller.cloud.PowerState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real VMs in the KVM cloud: libvirt (embedded driver), QEMU TCG, the tiny guest. */
class KvmCloudTest {
  private static final long MIB = 1 << 20;
  private static final Duration BOOT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @Test
  void aVmShapedLikeItsSpecBootsOnReplicatedDataWritesAndShutsDownGracefullyOrHard()
      throws Exception {
    try (KvmTestCloud test = KvmTestCloud.open(dir, Duration.ofSeconds(10))) {
      KvmCloud cloud = test.cloud();
      CloudVm vm = cloud.create(new CloudVmSpec("web-1", "onprem-42",
          List.of(new DiskSpec("os", DiskFormat.VHDX, 32 * MIB),
              new DiskSpec("data", DiskFormat.RAW, 16 * MIB)),
          List.of(new NicSpec("eth0", "LAN")), 256 * MIB, 1));
      assertEquals(PowerState.OFF, vm.state());
      assertEquals(List.of(vm), cloud.list());
      assertTrue(vm.notes().size() == 1 && vm.notes().get(0).startsWith(
          "network adapter 'eth0' left unplugged"), vm.notes().toString());
      assertEquals(32 * MIB, qemuImgVirtualSize(vm.disks().get(0).path()));
      assertEquals(16 * MIB, qemuImgVirtualSize(vm.disks().get(1).path()));

      // Replication into the OFF VM: through NBD, QEMU's block layer writes the qcow2.
      byte[] seed = GuestPattern.bytes("seed", MIB, (int) MIB);
      try (BlockDevice disk = cloud.openDisk(vm.id(), 0, true)) {
        disk.write(MIB, ByteBuffer.wrap(seed));
        disk.flush();
        CloudException busy = assertThrows(CloudException.class, () -> cloud.start(vm.id()));
        assertEquals(CloudException.Kind.FAILED_PRECONDITION, busy.kind());
      }

      GuestConsole console = test.start(vm.id(), new GuestScript().sum("vda", MIB, MIB)
          .write("vdb", 4 * MIB, MIB, "cloud").awaitAcpiShutdown());
      assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
      assertEquals(PowerState.RUNNING, cloud.get(vm.id()).orElseThrow().state());
      for (CloudException refused : List.of(
          assertThrows(CloudException.class, () -> cloud.openDisk(vm.id(), 0, false)),
          assertThrows(CloudException.class, () -> cloud.start(vm.id())),
          assertThrows(CloudException.class, () -> cloud.delete(vm.id())))) {
        assertEquals(CloudException.Kind.FAILED_PRECONDITION, refused.kind());
      }
      cloud.shutdown(vm.id());
      assertEquals(PowerState.OFF, cloud.get(vm.id()).orElseThrow().state());
      GuestReport report = console.report();
      assertEquals(Optional.of(GuestPattern.sha256(seed)), report.sum("vda", MIB, MIB),
          "the guest reads what replication wrote");
      assertEquals(Optional.of(1), report.cpus());
      long memory = report.memoryKib().orElseThrow();
      assertTrue(memory > 200 * 1024 && memory <= 256 * 1024, "guest MemTotal " + memory);
      assertEquals(Optional.of("acpi"), report.powerOffReason(), "shut down by the button");

      try (BlockDevice disk = cloud.openDisk(vm.id(), 1, false)) {
        ByteBuffer back = ByteBuffer.allocate((int) MIB);
        disk.read(4 * MIB, back);
        assertArrayEquals(GuestPattern.bytes("cloud", 4 * MIB, (int) MIB), back.array(),
            "the host reads what the guest wrote, after shutdown returned");
        assertFalse(disk.writable());
        assertThrows(IOException.class, () -> disk.write(0, ByteBuffer.allocate(512)));
      }

      GuestConsole stubborn = test.start(vm.id(), new GuestScript().ignoreAcpiShutdown());
      assertTrue(stubborn.await("HANGING", BOOT).isPresent(), stubborn::tail);
      long before = System.nanoTime();
      cloud.shutdown(vm.id());
      assertTrue(System.nanoTime() - before >= Duration.ofSeconds(10).toNanos(),
          "waited for the guest first");
      assertEquals(PowerState.OFF, cloud.get(vm.id()).orElseThrow().state());
      assertEquals(Optional.empty(), stubborn.report().powerOffReason(), "destroyed, not shut");

      Path vmDir = cloud.vmDir(vm.id());
      cloud.delete(vm.id());
      assertEquals(Optional.empty(), cloud.get(vm.id()));
      assertEquals(List.of(), cloud.list());
      assertFalse(Files.exists(vmDir), "disks and console log removed");
    }
  }

  private static long qemuImgVirtualSize(Path image) throws IOException {
    String json = QemuImg.run(List.of("qemu-img", "info", "--output=json", "-U",
        image.toString()));
    return com.google.gson.JsonParser.parseString(json).getAsJsonObject()
        .get("virtual-size").getAsLong();
  }
}
