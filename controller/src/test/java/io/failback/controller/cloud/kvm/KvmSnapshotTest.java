package io.failback.controller.cloud.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestPattern;
import io.failback.common.testing.guest.GuestScript;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudSnapshot;
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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots of real running VMs: libvirt checkpoint + pull-mode backup, changed blocks from the
 * checkpoint's dirty bitmap through NBD block status, and what a killed QEMU leaves of them.
 */
class KvmSnapshotTest {
  private static final int MIB = 1 << 20;
  private static final int LOOP = 256 << 10;
  private static final Duration BOOT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @Test
  void aRunningVmsSnapshotStaysAtItsInstantAndItsBitmapListsExactlyTheGuestsWrites()
      throws Exception {
    try (KvmTestCloud test = KvmTestCloud.open(dir, Duration.ofSeconds(30))) {
      KvmCloud cloud = test.cloud();
      CloudVm vm = cloud.create(new CloudVmSpec("db-1", "onprem-7",
          List.of(new DiskSpec("os", DiskFormat.VHDX, 32L * MIB),
              new DiskSpec("logs", DiskFormat.VHDX, 16L * MIB)), List.of(), 256L * MIB, 1));
      byte[] base = GuestPattern.bytes("base", MIB, 2 * MIB);
      try (BlockDevice disk = cloud.openDisk(vm.id(), 0, true);
          BlockDevice logs = cloud.openDisk(vm.id(), 1, true)) {
        disk.write(MIB, ByteBuffer.wrap(base));
        logs.write(0, ByteBuffer.wrap(GuestPattern.bytes("logs", 0, MIB)));
      }
      // The guest keeps rewriting [0, 256 KiB) of vda, a new tag every pass.
      GuestConsole console = test.start(vm.id(),
          new GuestScript().loop("vda", 0, LOOP, "lp").awaitAcpiShutdown());
      assertTrue(console.await("LOOP 1", BOOT).isPresent(), console::tail);

      byte[] first = new byte[LOOP];
      String snapshotId;
      try (CloudSnapshot snapshot = cloud.snapshot(vm.id())) {
        snapshotId = snapshot.id();
        BlockDevice view = snapshot.disk(0);
        view.read(0, ByteBuffer.wrap(first));
        int passes = passes(console);
        assertTrue(console.await("LOOP " + (passes + 2), BOOT).isPresent(), console::tail);
        byte[] again = new byte[LOOP];
        view.read(0, ByteBuffer.wrap(again));
        assertArrayEquals(first, again, "two guest passes later the view has not moved");
        assertWellFormed(first);
        byte[] gap = new byte[MIB - LOOP];
        view.read(LOOP, ByteBuffer.wrap(gap));
        assertArrayEquals(new byte[MIB - LOOP], gap);
        byte[] rest = new byte[2 * MIB];
        view.read(MIB, ByteBuffer.wrap(rest));
        assertArrayEquals(base, rest);
        byte[] logs = new byte[MIB];
        snapshot.disk(1).read(0, ByteBuffer.wrap(logs));
        assertArrayEquals(GuestPattern.bytes("logs", 0, MIB), logs);
        // While the handle (a backup job) is open only libvirt's count of changes answers.
        assertEquals(java.util.OptionalLong.of(LOOP), cloud.changedBytes(snapshotId, 0));
        assertEquals(java.util.OptionalLong.of(0), cloud.changedBytes(snapshotId, 1));
      }
      assertEquals(List.of(snapshotId), cloud.snapshots(vm.id()));

      long[] loopBlocks = LongStream.range(0, 4).toArray(); // 256 KiB in 64 KiB blocks
      assertArrayEquals(loopBlocks, cloud.changedBlocks(snapshotId, 0, 65536).orElseThrow(),
          "while running: the incremental backup's bitmap");
      assertArrayEquals(new long[0], cloud.changedBlocks(snapshotId, 1, 65536).orElseThrow());

      cloud.shutdown(vm.id());
      assertEquals(Optional.of("acpi"), console.report().powerOffReason());
      assertArrayEquals(loopBlocks, cloud.changedBlocks(snapshotId, 0, 65536).orElseThrow(),
          "OFF: the bitmap stored in the qcow2");
      assertArrayEquals(LongStream.range(0, 64).toArray(),
          cloud.changedBlocks(snapshotId, 0, 4096).orElseThrow(), "at another block size");
      assertArrayEquals(new long[] {0}, cloud.changedBlocks(snapshotId, 0, 4 * MIB)
          .orElseThrow());
      try (BlockDevice disk = cloud.openDisk(vm.id(), 0, false)) {
        byte[] now = new byte[LOOP];
        disk.read(0, ByteBuffer.wrap(now));
        assertWellFormed(now);
        assertNotEquals(new String(first, StandardCharsets.US_ASCII),
            new String(now, StandardCharsets.US_ASCII), "the live disk moved on");
      }
      cloud.releaseSnapshot(snapshotId);
      assertEquals(List.of(), cloud.snapshots(vm.id()));
    }
  }

  /**
   * A controller killed with a snapshot open leaves its backup job running (libvirt restores it
   * as it reconnects to the QEMU), which refused every backup after it: the next process's
   * snapshot ends it, and the killed one's checkpoint still tells the guest's writes since.
   */
  @Test
  void aBackupJobNoHandleOwnsIsEndedByTheNextProcesssSnapshot() throws Exception {
    try (KvmTestCloud test = KvmTestCloud.open(dir, Duration.ofSeconds(30))) {
      KvmCloud cloud = test.cloud();
      CloudVm vm = cloud.create(smallVm("app-2", "onprem-9"));
      GuestConsole console = startLooping(test, vm);
      CloudSnapshot left = cloud.snapshot(vm.id()); // its process "dies" with it open
      assertTrue(console.await("LOOP 2", BOOT).isPresent(), console::tail);

      KvmCloud restarted = test.reopened();
      try (CloudSnapshot snapshot = restarted.snapshot(vm.id(), left.id())) {
        long[] written = snapshot.changedSince(0, 65536).orElseThrow(
            () -> new AssertionError("the checkpoint of the killed process's snapshot is lost"));
        assertEquals(LOOP / 65536, written.length, Arrays.toString(written));
      }
      restarted.releaseSnapshot(left.id());
      try {
        left.close(); // its job was ended under it
      } catch (CloudException expected) {
        // Ending a job that is no longer there.
      }
    }
  }

  @Test
  void aKilledQemuLosesTheTrackingSoChangedBlocksAreUnavailable() throws Exception {
    try (KvmTestCloud test = KvmTestCloud.open(dir, Duration.ofSeconds(30))) {
      KvmCloud cloud = test.cloud();
      CloudVm vm = cloud.create(smallVm("app-1", "onprem-8"));
      GuestConsole console = startLooping(test, vm);
      String snapshotId;
      try (CloudSnapshot snapshot = cloud.snapshot(vm.id())) {
        snapshotId = snapshot.id();
      }
      assertTrue(cloud.changedBlocks(snapshotId, 0, 65536).isPresent());

      Path pidFile = KvmTestCloud.root().resolve("run/qemu/failback-" + vm.id() + ".pid");
      long pid = Long.parseLong(Files.readString(pidFile).strip());
      ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL: a crash of QEMU
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (cloud.get(vm.id()).orElseThrow().state() != PowerState.OFF) {
        assertTrue(System.nanoTime() < deadline, "libvirt saw QEMU die");
        Thread.sleep(100);
      }
      assertEquals(Optional.empty(), cloud.changedBlocks(snapshotId, 0, 65536),
          "tracking unavailable: callers fall back to comparing checksums");
      cloud.releaseSnapshot(snapshotId);
    }
  }

  @Test
  void anOffVmsSnapshotIsItsDisksAndItsBitmapRecordsTheNextRunsWrites() throws Exception {
    try (KvmTestCloud test = KvmTestCloud.open(dir, Duration.ofSeconds(30))) {
      KvmCloud cloud = test.cloud();
      CloudVm vm = cloud.create(new CloudVmSpec("file-1", "onprem-9",
          List.of(new DiskSpec("os", DiskFormat.VHDX, 16L * MIB)), List.of(), 256L * MIB, 1));
      try (BlockDevice disk = cloud.openDisk(vm.id(), 0, true)) {
        disk.write(0, ByteBuffer.wrap(GuestPattern.bytes("base", 0, 4 * MIB)));
      }
      String snapshotId;
      try (CloudSnapshot snapshot = cloud.snapshot(vm.id())) {
        snapshotId = snapshot.id();
        byte[] view = new byte[4 * MIB];
        snapshot.disk(0).read(0, ByteBuffer.wrap(view));
        assertArrayEquals(GuestPattern.bytes("base", 0, 4 * MIB), view);
        assertEquals(List.of(snapshotId), cloud.snapshots(vm.id()));
      }
      // 4 KiB + 64 KiB from 3 MiB - 4 KiB (3 MiB is 64 KiB block 48): blocks 47 and 48.
      GuestConsole console = test.start(vm.id(),
          new GuestScript().write("vda", 3 * MIB - 4096, 65536 + 4096, "after"));
      assertTrue(console.await("POWEROFF", BOOT).isPresent(), console::tail);
      cloud.shutdown(vm.id()); // returns once QEMU has exited
      assertArrayEquals(new long[] {47, 48},
          cloud.changedBlocks(snapshotId, 0, 65536).orElseThrow());
      // The bitmap knows 64 KiB granules: every 4 KiB block inside a dirty one counts.
      assertArrayEquals(LongStream.range(47 * 16, 49 * 16).toArray(),
          cloud.changedBlocks(snapshotId, 0, 4096).orElseThrow());
      cloud.releaseSnapshot(snapshotId);
      assertEquals(List.of(), cloud.snapshots(vm.id()));
    }
  }

  /**
   * A VM started tracked (paused, checkpoint, resumed) records every guest write from its first:
   * a snapshot taken against that point exports them beside each disk, at any block size; a
   * QEMU killed since leaves a snapshot that tells nothing, never a partial list.
   */
  @Test
  void aSnapshotAgainstTheTrackedStartListsEveryWriteSinceAndNothingOnceQemuWasKilled()
      throws Exception {
    try (KvmTestCloud test = KvmTestCloud.open(dir, Duration.ofSeconds(30))) {
      KvmCloud cloud = test.cloud();
      CloudVm vm = cloud.create(new CloudVmSpec("erp-1", "onprem-11",
          List.of(new DiskSpec("os", DiskFormat.VHDX, 16L * MIB),
              new DiskSpec("data", DiskFormat.VHDX, 16L * MIB)), List.of(), 256L * MIB, 1));
      String[] point = new String[1];
      // 4 KiB + 64 KiB from 3 MiB - 4 KiB: blocks 47 and 48; then a loop over blocks 128..131.
      GuestConsole console = test.startTracked(vm.id(), new GuestScript()
          .write("vda", 3 * MIB - 4096, 65536 + 4096, "early")
          .loop("vda", 8L * MIB, LOOP, "lp").awaitAcpiShutdown(), point);
      assertTrue(point[0].startsWith(vm.id() + "."), point[0]);
      assertEquals(List.of(point[0]), cloud.snapshots(vm.id()));
      assertTrue(console.await("LOOP 1", BOOT).isPresent(), console::tail);
      String snapshotId;
      try (CloudSnapshot snapshot = cloud.snapshot(vm.id(), point[0])) {
        snapshotId = snapshot.id();
        assertArrayEquals(new long[] {47, 48, 128, 129, 130, 131},
            snapshot.changedSince(0, 65536).orElseThrow());
        assertArrayEquals(LongStream.concat(LongStream.range(47 * 4, 49 * 4),
            LongStream.range(128 * 4, 132 * 4)).toArray(),
            snapshot.changedSince(0, 16384).orElseThrow(), "at another block size");
        assertArrayEquals(new long[0], snapshot.changedSince(1, 65536).orElseThrow());
      }
      try (CloudSnapshot plain = cloud.snapshot(vm.id())) {
        assertEquals(Optional.empty(), plain.changedSince(0, 65536), "taken against none");
        cloud.releaseSnapshot(plain.id());
      }
      cloud.releaseSnapshot(snapshotId);

      Path pidFile = KvmTestCloud.root().resolve("run/qemu/failback-" + vm.id() + ".pid");
      ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).orElseThrow()
          .destroyForcibly(); // SIGKILL: a crash of QEMU
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (cloud.get(vm.id()).orElseThrow().state() != PowerState.OFF) {
        assertTrue(System.nanoTime() < deadline, "libvirt saw QEMU die");
        Thread.sleep(100);
      }
      console = test.start(vm.id(), new GuestScript().loop("vda", 8L * MIB, LOOP, "lp")
          .awaitAcpiShutdown());
      assertTrue(console.await("LOOP 0", BOOT).isPresent(), console::tail);
      String afterId;
      try (CloudSnapshot after = cloud.snapshot(vm.id(), point[0])) {
        afterId = after.id();
        assertEquals(Optional.empty(), after.changedSince(0, 65536),
            "the tracking died with QEMU: callers compare checksums");
        byte[] view = new byte[4096];
        after.disk(0).read(3 * MIB, ByteBuffer.wrap(view));
        assertTrue(new String(view, StandardCharsets.US_ASCII).startsWith("early"),
            "the snapshot itself is whole");
      }
      // The running VM's checkpoint whose bitmap died with QEMU: libvirt's record goes.
      cloud.releaseSnapshot(point[0]);
      assertEquals(List.of(afterId), cloud.snapshots(vm.id()));
      cloud.releaseSnapshot(afterId);
      assertEquals(List.of(), cloud.snapshots(vm.id()));
    }
  }

  /** How many loop passes the guest reported so far. */
  private static int passes(GuestConsole console) {
    return (int) console.report().lines().stream().filter(l -> l.startsWith("LOOP ")).count();
  }

  /** Every 32-byte record is one of the loop's tags and names its sector's offset. */
  /** One 16 MiB disk, no NIC, 256 MiB and one vCPU. */
  private static CloudVmSpec smallVm(String name, String onPremId) {
    return new CloudVmSpec(name, onPremId, List.of(new DiskSpec("os", DiskFormat.VHDX,
        16L * MIB)), List.of(), 256L * MIB, 1);
  }

  /** Boots the tiny guest rewriting vda's first {@link #LOOP} bytes until its first pass. */
  private static GuestConsole startLooping(KvmTestCloud test, CloudVm vm) throws Exception {
    GuestConsole console = test.start(vm.id(),
        new GuestScript().loop("vda", 0, LOOP, "lp").awaitAcpiShutdown());
    assertTrue(console.await("LOOP 0", BOOT).isPresent(), console::tail);
    return console;
  }

  private static void assertWellFormed(byte[] region) {
    for (int at = 0; at < region.length; at += 32) {
      String record = new String(region, at, 32, StandardCharsets.US_ASCII);
      // Each record names the offset of its 512-byte sector.
      assertTrue(record.startsWith("lp") && record.endsWith(String.format("%023d\n",
          at - at % 512)),
          "record at " + at + ": " + record);
    }
  }
}
