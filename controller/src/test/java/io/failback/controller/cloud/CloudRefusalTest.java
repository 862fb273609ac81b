package io.failback.controller.cloud;

import static io.failback.controller.cloud.CloudException.Kind.FAILED_PRECONDITION;
import static io.failback.controller.cloud.CloudException.Kind.INVALID_ARGUMENT;
import static io.failback.controller.cloud.CloudException.Kind.NOT_FOUND;
import static io.failback.controller.cloud.CloudTesting.MIB;
import static io.failback.controller.cloud.CloudTesting.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.MutableClock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Each refusal: the right kind, a message naming the VM and what to do, nothing changed. */
class CloudRefusalTest {
  @TempDir Path dir;
  private LocalDirectoryCloud cloud;
  private CloudVm vm;

  @BeforeEach
  void open() throws Exception {
    cloud = LocalDirectoryCloud.open(dir, MutableClock.startingNow());
    vm = cloud.create(spec("web-7", DiskFormat.VHDX, 16L * MIB));
  }

  @AfterEach
  void close() throws Exception {
    cloud.close();
  }

  private CloudException refused(CloudException.Kind kind, Executable call, String... words) {
    CloudException e = assertThrows(CloudException.class, call);
    assertEquals(kind, e.kind(), e.getMessage());
    for (String word : words) {
      assertTrue(e.getMessage().contains(word), () -> e.getMessage() + " lacks " + word);
    }
    return e;
  }

  @Test
  void deletingARunningVmIsRefused() throws Exception {
    cloud.start(vm.id());
    refused(FAILED_PRECONDITION, () -> cloud.delete(vm.id()), "'web-7'", vm.id(), "RUNNING",
        "shut it down");
    assertTrue(Files.exists(vm.disks().get(0).path()));
    assertEquals(PowerState.RUNNING, cloud.get(vm.id()).orElseThrow().state());
  }

  @Test
  void openingTheDiskOfARunningVmForWritingIsRefused() throws Exception {
    cloud.start(vm.id());
    refused(FAILED_PRECONDITION, () -> cloud.openDisk(vm.id(), 0, true), "'web-7'", vm.id(),
        "RUNNING");
    try (BlockDevice readOnly = cloud.openDisk(vm.id(), 0, false)) {
      assertThrows(IOException.class, () -> readOnly.write(0, ByteBuffer.allocate(512)));
    }
  }

  @Test
  void theGuestOfAnOffVmIsRefused() throws Exception {
    refused(FAILED_PRECONDITION, () -> cloud.guest(vm.id()), "'web-7'", vm.id(), "OFF");
  }

  @Test
  void aGuestCannotWriteOnceItsVmIsShutDown() throws Exception {
    cloud.start(vm.id());
    SimulatedGuest guest = cloud.guest(vm.id());
    cloud.shutdown(vm.id());
    cloud.shutdown(vm.id()); // idempotent
    refused(FAILED_PRECONDITION, () -> guest.write(0, 0, new byte[512]), "'web-7'", "OFF");
    try (BlockDevice disk = cloud.openDisk(vm.id(), 0, false)) {
      assertTrue(disk.isKnownZero(0, 16L * MIB), "nothing was written");
    }
  }

  @Test
  void startingWhileADiskIsOpenForWritingIsRefused() throws Exception {
    BlockDevice disk = cloud.openDisk(vm.id(), 0, true);
    refused(FAILED_PRECONDITION, () -> cloud.start(vm.id()), "'web-7'", "open for writing");
    disk.close();
    cloud.start(vm.id());
    refused(FAILED_PRECONDITION, () -> cloud.start(vm.id()), "RUNNING already");
    assertThrows(IOException.class, () -> disk.write(0, ByteBuffer.allocate(512)));
  }

  @Test
  void deletingWithAnOpenDiskHandleIsRefused() throws Exception {
    BlockDevice disk = cloud.openDisk(vm.id(), 0, false);
    refused(FAILED_PRECONDITION, () -> cloud.delete(vm.id()), "'web-7'", "open disk handle");
    disk.close();
    cloud.delete(vm.id());
  }

  @Test
  void badGuestWritesAreRefusedBeforeAnythingIsWritten() throws Exception {
    cloud.start(vm.id());
    SimulatedGuest guest = cloud.guest(vm.id());
    refused(INVALID_ARGUMENT, () -> guest.write(0, 100, new byte[512]), "'web-7'", "512");
    refused(INVALID_ARGUMENT, () -> guest.write(0, 0, new byte[100]), "'web-7'", "512");
    refused(INVALID_ARGUMENT, () -> guest.write(0, 16L * MIB, new byte[512]), "outside");
    refused(INVALID_ARGUMENT, () -> guest.write(1, 0, new byte[512]), "no disk 1");
    try (BlockDevice disk = cloud.openDisk(vm.id(), 0, false)) {
      assertTrue(disk.isKnownZero(0, 16L * MIB), "nothing was written");
    }
  }

  @Test
  void unknownIdsAreNotFound() {
    refused(NOT_FOUND, () -> cloud.start("nope"), "nope");
    refused(NOT_FOUND, () -> cloud.snapshot("nope"), "nope");
    refused(NOT_FOUND, () -> cloud.changedBlocks("nope", 0, 65536), "nope");
    refused(NOT_FOUND, () -> cloud.releaseSnapshot("nope"), "nope");
  }

  @Test
  void badArgumentsAreInvalid() throws Exception {
    refused(INVALID_ARGUMENT, () -> cloud.create(spec("odd", DiskFormat.RAW, 1000)), "1000");
    refused(INVALID_ARGUMENT, () -> cloud.create(spec(" ", DiskFormat.RAW, MIB)), "name");
    refused(INVALID_ARGUMENT, () -> cloud.create(spec("kvm", DiskFormat.QCOW2, MIB)), "qcow2");
    refused(INVALID_ARGUMENT, () -> cloud.create(spec("big", DiskFormat.VHDX, 65L << 40)),
        "64 TiB");
    assertEquals(1, cloud.list().size());
    refused(INVALID_ARGUMENT, () -> cloud.openDisk(vm.id(), 3, false), "'web-7'", "no disk 3");
    try (CloudSnapshot snapshot = cloud.snapshot(vm.id())) {
      refused(INVALID_ARGUMENT, () -> cloud.changedBlocks(snapshot.id(), 0, 2048), "2048");
      refused(INVALID_ARGUMENT, () -> cloud.changedBlocks(snapshot.id(), 0, 12288), "12288");
      refused(INVALID_ARGUMENT, () -> snapshot.disk(1), "'web-7'", "no disk 1");
      assertEquals(0, cloud.changedBlocks(snapshot.id(), 0, 8192).orElseThrow().length);
    }
  }

  @Test
  void aClosedCloudRefusesEverything() throws Exception {
    cloud.close();
    refused(FAILED_PRECONDITION, () -> cloud.list(), "closed");
    refused(FAILED_PRECONDITION, () -> cloud.start(vm.id()), "closed");
  }
}
