package io.failback.controller.cloud;

import static io.failback.controller.cloud.CloudTesting.MIB;
import static io.failback.controller.cloud.CloudTesting.readDisk;
import static io.failback.controller.cloud.CloudTesting.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.MutableClock;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectoryCloudTest {
  private static final Instant T0 = Instant.parse("2025-06-01T08:00:00Z");

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);
  private LocalDirectoryCloud cloud;

  @BeforeEach
  void open() throws Exception {
    cloud = LocalDirectoryCloud.open(dir, clock);
  }

  @AfterEach
  void close() throws Exception {
    cloud.close();
  }

  @Test
  void createdVmIsOffWithEmptyDisksInTheDocumentedLayout() throws Exception {
    CloudVmSpec spec =
        new CloudVmSpec(
            "web-1",
            "onprem-42",
            List.of(
                new DiskSpec("os", DiskFormat.VHDX, 64L * MIB),
                new DiskSpec("data", DiskFormat.RAW, 16L * MIB)),
            List.of(new NicSpec("eth0", "LAN"), new NicSpec("eth1", "DMZ")));

    CloudVm vm = cloud.create(spec);

    assertEquals(PowerState.OFF, vm.state());
    assertEquals(T0, vm.createdAt());
    assertEquals(spec.nics(), vm.nics());
    Path vmDir = dir.resolve("vms").resolve(vm.id());
    assertEquals(vmDir.resolve("disk-0.vhdx"), vm.disks().get(0).path());
    assertEquals(vmDir.resolve("disk-1.raw"), vm.disks().get(1).path());
    assertTrue(Files.exists(vmDir.resolve("vm.json")));
    assertEquals(Optional.of(vm), cloud.get(vm.id()));
    assertEquals(List.of(vm), cloud.list());
    try (BlockDevice os = cloud.openDisk(vm.id(), 0, false)) {
      assertEquals(64L * MIB, os.size());
      assertTrue(os.isKnownZero(0, os.size()), "a new dynamic VHDX is all unallocated");
    }
    assertArrayEquals(new byte[16 * MIB], readDisk(cloud, vm.id(), 1));
  }

  @Test
  void vmsStatesAndDiskBytesSurviveAReopen() throws Exception {
    CloudVm web = cloud.create(spec("web", DiskFormat.VHDX, 32L * MIB, 16L * MIB));
    clock.advance(Duration.ofMinutes(1));
    CloudVm db = cloud.create(spec("db", DiskFormat.RAW, 16L * MIB));
    cloud.start(web.id());
    cloud.start(db.id());
    cloud.guest(web.id()).scribble(0, 200, 1);
    cloud.guest(web.id()).scribble(1, 50, 2);
    cloud.guest(db.id()).scribble(0, 100, 3);
    cloud.shutdown(web.id());
    byte[] web0 = readDisk(cloud, web.id(), 0);
    byte[] web1 = readDisk(cloud, web.id(), 1);
    byte[] db0 = readDisk(cloud, db.id(), 0);
    List<CloudVm> before = cloud.list();

    cloud.close();
    cloud = LocalDirectoryCloud.open(dir, clock);

    assertEquals(before, cloud.list());
    assertEquals(List.of("db", "web"), cloud.list().stream().map(CloudVm::name).toList());
    assertEquals(PowerState.OFF, cloud.get(web.id()).orElseThrow().state());
    assertEquals(PowerState.RUNNING, cloud.get(db.id()).orElseThrow().state());
    assertArrayEquals(web0, readDisk(cloud, web.id(), 0));
    assertArrayEquals(web1, readDisk(cloud, web.id(), 1));
    assertArrayEquals(db0, readDisk(cloud, db.id(), 0));
  }

  /** The devices a VM's guest will see change only while it is OFF, and survive a reopen. */
  @Test
  void devicesChangeWhileOffAndSurviveAReopen() throws Exception {
    CloudVm vm = cloud.create(spec("win", DiskFormat.VHDX, 16L * MIB));
    assertEquals(CloudDevices.VIRTIO, vm.devices());
    cloud.setDevices(vm.id(), CloudDevices.EMULATED);
    cloud.start(vm.id());
    CloudException running = assertThrows(CloudException.class,
        () -> cloud.setDevices(vm.id(), CloudDevices.VIRTIO));
    assertEquals(CloudException.Kind.FAILED_PRECONDITION, running.kind());

    cloud.close();
    cloud = LocalDirectoryCloud.open(dir, clock);

    assertEquals(CloudDevices.EMULATED, cloud.get(vm.id()).orElseThrow().devices());
  }

  /** A VM's guest family survives a reopen; a vm.json from before it was kept reads OTHER. */
  @Test
  void theGuestFamilySurvivesAReopenAndAnOldFileReadsOther() throws Exception {
    CloudVmSpec base = spec("win", DiskFormat.VHDX, 16L * MIB);
    CloudVm windows = cloud.create(new CloudVmSpec(base.name(), base.sourceVmId(), base.disks(),
        base.nics(), 0, 0, 2, CloudDevices.EMULATED, GuestFamily.WINDOWS));
    CloudVm old = cloud.create(spec("old", DiskFormat.RAW, MIB));
    cloud.close();
    Path file = dir.resolve("vms").resolve(old.id()).resolve("vm.json");
    String json = Files.readString(file);
    Files.writeString(file, json.replaceAll(",\\s*\"guestFamily\": \"OTHER\"", ""));
    assertFalse(Files.readString(file).contains("guestFamily"), json);

    cloud = LocalDirectoryCloud.open(dir, clock);

    assertEquals(GuestFamily.WINDOWS, cloud.get(windows.id()).orElseThrow().guestFamily());
    assertEquals(GuestFamily.OTHER, cloud.get(old.id()).orElseThrow().guestFamily());
  }

  @Test
  void aVmRunningAtACrashComesBackRunningWithItsWrites() throws Exception {
    CloudVm vm = cloud.create(spec("app", DiskFormat.VHDX, 16L * MIB));
    cloud.start(vm.id());
    cloud.guest(vm.id()).scribble(0, 100, 4);
    byte[] bytes = readDisk(cloud, vm.id(), 0);

    cloud.crashForTesting();
    cloud = LocalDirectoryCloud.open(dir, clock);

    assertEquals(PowerState.RUNNING, cloud.get(vm.id()).orElseThrow().state());
    assertArrayEquals(bytes, readDisk(cloud, vm.id(), 0));
    cloud.guest(vm.id()).write(0, 0, new byte[512]);
  }

  @Test
  void vhdxDisksPassQemuImgCheckAfterGuestWrites() throws Exception {
    CloudVm vm = cloud.create(spec("vhdx", DiskFormat.VHDX, 64L * MIB, 48L * MIB));
    cloud.start(vm.id());
    try (CloudSnapshot snapshot = cloud.snapshot(vm.id())) {
      cloud.guest(vm.id()).scribble(0, 300, 5);
      cloud.guest(vm.id()).scribble(1, 300, 6);
      cloud.releaseSnapshot(snapshot.id());
    }
    cloud.shutdown(vm.id());

    CloudTesting.qemuCheck(vm.disks().get(0).path());
    CloudTesting.qemuCheck(vm.disks().get(1).path());
  }

  @Test
  void replicationWritesIntoAnOffVmThroughAWritableHandle() throws Exception {
    CloudVm vm = cloud.create(spec("target", DiskFormat.VHDX, 16L * MIB));
    byte[] block = new byte[64 * 1024];
    Arrays.fill(block, (byte) 7);
    try (BlockDevice disk = cloud.openDisk(vm.id(), 0, true)) {
      disk.write(MIB, ByteBuffer.wrap(block));
      disk.writeZeroes(MIB + 4096, 4096);
      disk.flush();
    }
    byte[] bytes = readDisk(cloud, vm.id(), 0);
    assertEquals(7, bytes[MIB]);
    assertEquals(0, bytes[MIB + 4096]);
    assertEquals(7, bytes[MIB + 8192]);
    cloud.start(vm.id()); // the handle is closed, so starting is allowed
  }

  @Test
  void deleteRemovesTheVmDirectoryWithDisksAndSnapshots() throws Exception {
    CloudVm vm = cloud.create(spec("gone", DiskFormat.VHDX, 16L * MIB));
    CloudVm kept = cloud.create(spec("kept", DiskFormat.RAW, 16L * MIB));
    cloud.start(vm.id());
    CloudSnapshot snapshot = cloud.snapshot(vm.id());
    cloud.guest(vm.id()).scribble(0, 20, 7);
    BlockDevice view = snapshot.disk(0);
    cloud.shutdown(vm.id());

    cloud.delete(vm.id());

    assertFalse(Files.exists(dir.resolve("vms").resolve(vm.id())));
    assertFalse(Files.exists(dir.resolve("snapshots").resolve(snapshot.id())));
    assertEquals(Optional.empty(), cloud.get(vm.id()));
    assertEquals(List.of(kept), cloud.list());
    assertThrows(IOException.class, () -> view.read(0, ByteBuffer.allocate(512)));
    CloudException e = assertThrows(CloudException.class, () -> cloud.start(vm.id()));
    assertEquals(CloudException.Kind.NOT_FOUND, e.kind());
    cloud.close();
    cloud = LocalDirectoryCloud.open(dir, clock);
    assertEquals(List.of(kept), cloud.list());
  }

  @Test
  void anInterruptedCreateLeavesNothingAfterAReopen() throws Exception {
    Path partial = dir.resolve("vms").resolve("11111111-2222-3333-4444-555555555555");
    Files.createDirectories(partial);
    Files.write(partial.resolve("disk-0.raw"), new byte[4096]);

    cloud.close();
    cloud = LocalDirectoryCloud.open(dir, clock);

    assertEquals(List.of(), cloud.list());
    assertFalse(Files.exists(partial));
  }

  @Test
  void aSecondInstanceOnTheSameDirectoryIsRefused() {
    CloudException e =
        assertThrows(CloudException.class, () -> LocalDirectoryCloud.open(dir, clock));
    assertEquals(CloudException.Kind.FAILED_PRECONDITION, e.kind());
    assertTrue(e.getMessage().contains("in use"), e.getMessage());
  }
}
