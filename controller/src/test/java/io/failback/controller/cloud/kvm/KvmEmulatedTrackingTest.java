package io.failback.controller.cloud.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestScript;
import io.failback.controller.cloud.CloudDevices;
import io.failback.controller.cloud.CloudSnapshot;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import io.failback.controller.cloud.DiskFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Change tracking of a cloud VM with SATA disks (a Windows guest's copy): its checkpoint and
 * backups name the disks as its domain does (sd*). They named every disk vd*, so such a VM
 * started untracked and a failback's snapshot of it failed.
 */
class KvmEmulatedTrackingTest {
  private static final long MIB = 1 << 20;
  private static final int BLOCK = 65536;
  private static final Duration BOOT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @Test
  void aSataVmStartsTrackedAndItsSnapshotListsTheGuestsWrites() throws Exception {
    try (KvmTestCloud test = KvmTestCloud.open(dir, Duration.ofSeconds(10))) {
      KvmCloud cloud = test.cloud();
      // One disk: Linux names several SATA disks in the order their ports finish probing.
      CloudVm vm = cloud.create(new CloudVmSpec("win-2", "onprem-12",
          List.of(new DiskSpec("os", DiskFormat.VHDX, 16 * MIB)), List.of(), 256 * MIB, 1, 0,
          CloudDevices.EMULATED));
      String[] point = new String[1];
      // 4 KiB + 64 KiB from 3 MiB - 4 KiB: 64 KiB blocks 47 and 48.
      GuestConsole console = test.startTracked(vm.id(), new GuestScript()
          .write("sda", 3 * MIB - 4096, BLOCK + 4096, "sata").awaitAcpiShutdown(), point);
      assertTrue(point[0].startsWith(vm.id() + "."), "a SATA VM starts tracked: " + point[0]);
      assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
      assertEquals(List.of(), console.report().errors(), console::tail);
      assertChangedSince(cloud, vm, point[0], new long[] {47, 48});

      // Its restarts, on other devices, forced or not: KvmCloudVmRestartTest.
    }
  }

  /** A snapshot of the running VM against the tracking point lists exactly {@code blocks}. */
  private static void assertChangedSince(KvmCloud cloud, CloudVm vm, String point,
      long[] blocks) throws Exception {
    String id;
    Optional<long[]> changed;
    try (CloudSnapshot snapshot = cloud.snapshot(vm.id(), point)) {
      id = snapshot.id();
      changed = snapshot.changedSince(0, BLOCK);
    }
    cloud.releaseSnapshot(id);
    assertArrayEquals(blocks, changed.orElseThrow(() -> new AssertionError(
        "no tracking since " + point)), changed.map(Arrays::toString).orElse(""));
  }
}
