package io.failback.controller.cloud;

import static io.failback.controller.cloud.CloudTesting.KIB;
import static io.failback.controller.cloud.CloudTesting.MIB;
import static io.failback.controller.cloud.CloudTesting.expectedBlocks;
import static io.failback.controller.cloud.CloudTesting.guestWrites;
import static io.failback.controller.cloud.CloudTesting.readAll;
import static io.failback.controller.cloud.CloudTesting.readDisk;
import static io.failback.controller.cloud.CloudTesting.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.MutableClock;
import io.failback.controller.cloud.LocalGuest.Extent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Snapshots and tracking points of the local-directory cloud, over its simulated guest. */
class CloudSnapshotTest {
  private static final int[] BLOCK_SIZES = {4 * KIB, 64 * KIB, MIB};

  @TempDir Path dir;
  private final MutableClock clock = MutableClock.startingNow();
  private LocalDirectoryCloud cloud;

  @BeforeEach
  void open() throws Exception {
    cloud = LocalDirectoryCloud.open(dir, clock);
  }

  @AfterEach
  void close() throws Exception {
    cloud.close();
  }

  /** A RUNNING VM whose disk already holds data, so preserved chunks are not all zeros. */
  private CloudVm runningVmWithData(DiskFormat format, long size) throws Exception {
    CloudVm vm = cloud.create(spec("vm-" + format, format, size));
    cloud.start(vm.id());
    cloud.guest(vm.id()).scribble(0, 400, 100);
    return vm;
  }

  private void assertChangedBlocks(String snapshotId, List<Extent> extents, long size)
      throws CloudException {
    for (int blockSize : BLOCK_SIZES) {
      long[] expected = expectedBlocks(extents, size, blockSize);
      long[] actual = cloud.changedBlocks(snapshotId, 0, blockSize).orElseThrow();
      assertArrayEquals(expected, actual, "block size " + blockSize);
    }
  }

  @ParameterizedTest
  @EnumSource(value = DiskFormat.class, names = {"VHDX", "RAW"}) // the local cloud's formats
  void theViewShowsTheInstantAndTrackingNamesExactlyTheWrittenBlocks(DiskFormat format)
      throws Exception {
    long size = 48L * MIB;
    CloudVm vm = runningVmWithData(format, size);
    byte[] before = readDisk(cloud, vm.id(), 0);

    try (CloudSnapshot snapshot = cloud.snapshot(vm.id())) {
      byte[] live = before.clone();
      List<Extent> extents = guestWrites(cloud.guest(vm.id()), 0, live, 300, 2);

      assertArrayEquals(before, readAll(snapshot.disk(0)), "the snapshot shows its instant");
      assertArrayEquals(live, readDisk(cloud, vm.id(), 0), "the live disk has the new bytes");
      assertChangedBlocks(snapshot.id(), extents, size);
      // Blocks of 1 MiB are exactly those the extents overlap: no chunk rounding shows.
      long[] direct =
          extents.stream()
              .flatMapToLong(
                  e -> LongStream.rangeClosed(
                      e.offset() / MIB, (e.offset() + e.length() - 1) / MIB))
              .distinct()
              .sorted()
              .toArray();
      assertArrayEquals(direct, cloud.changedBlocks(snapshot.id(), 0, MIB).orElseThrow());
    }
  }

  @Test
  void anOffVmIsSnapshottedAndReplicationWritesAreTrackedToo() throws Exception {
    CloudVm vm = cloud.create(spec("off", DiskFormat.VHDX, 16L * MIB));
    byte[] zeros = new byte[16 * MIB];
    try (CloudSnapshot snapshot = cloud.snapshot(vm.id());
        BlockDevice disk = cloud.openDisk(vm.id(), 0, true)) {
      disk.write(3L * MIB, ByteBuffer.allocate(512).put(0, (byte) 9));
      disk.writeZeroes(5L * MIB, 128 * KIB);

      assertArrayEquals(zeros, readAll(snapshot.disk(0)));
      assertArrayEquals(new long[] {48, 80, 81},
          cloud.changedBlocks(snapshot.id(), 0, 64 * KIB).orElseThrow());
      BlockDevice view = snapshot.disk(0);
      assertTrue(view.isKnownZero(3L * MIB, 64 * KIB), "zero chunks are preserved as a mark");
      assertFalse(disk.isKnownZero(3L * MIB, 64 * KIB));
    }
  }

  @Test
  void anOlderSnapshotKeepsItsInstantAfterANewerOneAndMoreWrites() throws Exception {
    long size = 32L * MIB;
    CloudVm vm = runningVmWithData(DiskFormat.VHDX, size);
    SimulatedGuest guest = cloud.guest(vm.id());
    byte[] first = readDisk(cloud, vm.id(), 0);
    CloudSnapshot older = cloud.snapshot(vm.id());
    byte[] second = first.clone();
    List<Extent> a = guestWrites(guest, 0, second, 150, 11);
    CloudSnapshot newer = cloud.snapshot(vm.id());
    byte[] third = second.clone();
    List<Extent> b = guestWrites(guest, 0, third, 150, 12);

    assertArrayEquals(first, readAll(older.disk(0)));
    assertArrayEquals(second, readAll(newer.disk(0)));
    assertArrayEquals(third, readDisk(cloud, vm.id(), 0));
    List<Extent> both = new ArrayList<>(a);
    both.addAll(b);
    assertChangedBlocks(older.id(), both, size);
    assertChangedBlocks(newer.id(), b, size);

    assertEquals(java.util.stream.Stream.of(older.id(), newer.id()).sorted().toList(),
        cloud.snapshots(vm.id()));
    BlockDevice olderView = older.disk(0);
    cloud.releaseSnapshot(older.id());
    assertEquals(List.of(newer.id()), cloud.snapshots(vm.id()));
    assertFalse(Files.exists(dir.resolve("snapshots").resolve(older.id())));
    assertThrows(IOException.class, () -> olderView.read(0, ByteBuffer.allocate(512)));
    assertThrows(CloudException.class, () -> older.disk(0));
    List<Extent> c = guestWrites(guest, 0, third.clone(), 50, 13);
    assertArrayEquals(second, readAll(newer.disk(0)), "released snapshots stop preserving");
    b = new ArrayList<>(b);
    b.addAll(c);
    assertChangedBlocks(newer.id(), b, size);
    newer.close();
    older.close();
  }

  @Test
  void trackingSurvivesACleanRestart() throws Exception {
    long size = 32L * MIB;
    CloudVm vm = runningVmWithData(DiskFormat.RAW, size);
    byte[] before = readDisk(cloud, vm.id(), 0);
    CloudSnapshot snapshot = cloud.snapshot(vm.id());
    List<Extent> extents =
        new ArrayList<>(guestWrites(cloud.guest(vm.id()), 0, before.clone(), 200, 21));
    snapshot.close();
    extents.addAll(guestWrites(cloud.guest(vm.id()), 0, before.clone(), 50, 22));

    cloud.close();
    cloud = LocalDirectoryCloud.open(dir, clock);

    assertChangedBlocks(snapshot.id(), extents, size);
    try (CloudSnapshot reopened = cloud.openSnapshot(snapshot.id())) {
      assertEquals(snapshot.takenAt(), reopened.takenAt());
      assertArrayEquals(before, readAll(reopened.disk(0)));
      extents.addAll(guestWrites(cloud.guest(vm.id()), 0, before.clone(), 50, 23));
      assertArrayEquals(before, readAll(reopened.disk(0)), "still preserving after the restart");
    }
    assertChangedBlocks(snapshot.id(), extents, size);
  }

  @Test
  void trackingIsUnavailableAfterAnUncleanRestart() throws Exception {
    CloudVm vm = runningVmWithData(DiskFormat.VHDX, 16L * MIB);
    CloudSnapshot snapshot = cloud.snapshot(vm.id());
    cloud.guest(vm.id()).scribble(0, 30, 31);

    cloud.crashForTesting();
    cloud = LocalDirectoryCloud.open(dir, clock);

    for (int blockSize : BLOCK_SIZES) {
      assertEquals(Optional.empty(), cloud.changedBlocks(snapshot.id(), 0, blockSize));
    }
    CloudException e =
        assertThrows(CloudException.class, () -> cloud.openSnapshot(snapshot.id()));
    assertEquals(CloudException.Kind.FAILED_PRECONDITION, e.kind());
    assertTrue(e.getMessage().contains(vm.id()) && e.getMessage().contains("unclean"),
        e.getMessage());
    cloud.releaseSnapshot(snapshot.id());
    assertFalse(Files.exists(dir.resolve("snapshots").resolve(snapshot.id())));
  }

  @Test
  void aCrashBeforeAnyNewChunkIsWrittenKeepsTrackingValid() throws Exception {
    CloudVm vm = runningVmWithData(DiskFormat.RAW, 16L * MIB);
    byte[] before = readDisk(cloud, vm.id(), 0);
    CloudSnapshot snapshot = cloud.snapshot(vm.id());
    List<Extent> extents = guestWrites(cloud.guest(vm.id()), 0, before.clone(), 40, 41);
    snapshot.close();
    // Rewrites of chunks already preserved change nothing the persisted maps describe.
    SimulatedGuest guest = cloud.guest(vm.id());
    for (Extent extent : extents) {
      guest.write(0, extent.offset(), new byte[extent.length()]);
    }

    cloud.crashForTesting();
    cloud = LocalDirectoryCloud.open(dir, clock);

    assertChangedBlocks(snapshot.id(), extents, 16L * MIB);
    try (CloudSnapshot reopened = cloud.openSnapshot(snapshot.id())) {
      assertArrayEquals(before, readAll(reopened.disk(0)));
    }
  }

  @Test
  void aSnapshotOfATrailingPartialChunkIsExact() throws Exception {
    long size = 16L * MIB + 8 * KIB; // the last chunk is 8 KiB long
    CloudVm vm = cloud.create(spec("odd", DiskFormat.RAW, size));
    cloud.start(vm.id());
    byte[] before = readDisk(cloud, vm.id(), 0);
    try (CloudSnapshot snapshot = cloud.snapshot(vm.id())) {
      cloud.guest(vm.id()).write(0, size - 4 * KIB, new byte[4 * KIB]);
      byte[] ones = new byte[4 * KIB];
      Arrays.fill(ones, (byte) 1);
      cloud.guest(vm.id()).write(0, size - 8 * KIB, ones);

      assertArrayEquals(before, readAll(snapshot.disk(0)));
      assertArrayEquals(new long[] {256}, cloud.changedBlocks(snapshot.id(), 0, 64 * KIB).get());
      assertArrayEquals(new long[] {4096, 4097}, cloud.changedBlocks(snapshot.id(), 0, 4 * KIB)
          .get());
      assertArrayEquals(new long[] {16}, cloud.changedBlocks(snapshot.id(), 0, MIB).get());
    }
  }

  private byte[] pattern(int length, int seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /**
   * A planned failover's tracking point: which chunks the guest writes from its first write on,
   * kept across a clean restart, lost in an unclean one, and no byte of what they overwrote.
   */
  @Test
  void aSnapshotAgainstTheTrackedStartListsEveryWriteAndThePointKeepsNoBytes() throws Exception {
    CloudVm vm = cloud.create(spec("erp", DiskFormat.RAW, 8L * MIB, 4L * MIB));
    try (BlockDevice disk = cloud.openDisk(vm.id(), 0, true)) {
      disk.write(0, ByteBuffer.wrap(pattern(8 * MIB, 1)));
    }
    String point = cloud.startTracked(vm.id());
    assertEquals(PowerState.RUNNING, cloud.get(vm.id()).orElseThrow().state());
    assertEquals(List.of(point), cloud.snapshots(vm.id()));
    SimulatedGuest guest = cloud.guest(vm.id());
    guest.write(0, 100 * KIB, pattern(4 * KIB, 2)); // 64 KiB block 1
    guest.write(0, 5 * MIB, pattern(128 * KIB, 3)); // blocks 80 and 81
    try (CloudSnapshot snapshot = cloud.snapshot(vm.id(), point)) {
      assertArrayEquals(new long[] {1, 80, 81}, snapshot.changedSince(0, 64 * KIB).orElseThrow());
      assertArrayEquals(new long[0], snapshot.changedSince(1, 64 * KIB).orElseThrow());
      assertArrayEquals(new long[] {0, 20}, snapshot.changedSince(0, 256 * KIB).orElseThrow());
      byte[] view = readAll(snapshot.disk(0));
      guest.write(0, 0, pattern(4 * KIB, 4));
      assertArrayEquals(view, readAll(snapshot.disk(0)), "the snapshot keeps its instant");
      // Writes after the snapshot may show too: a superset, never less.
      assertArrayEquals(new long[] {0, 1, 80, 81},
          snapshot.changedSince(0, 64 * KIB).orElseThrow());
      cloud.releaseSnapshot(snapshot.id());
    }
    // Four chunks written, not one byte of their old content kept.
    Path pointDir = dir.resolve("snapshots").resolve(point);
    assertEquals(0, Files.size(pointDir.resolve("disk-0.store")));
    CloudException view = assertThrows(CloudException.class, () -> cloud.openSnapshot(point));
    assertEquals(CloudException.Kind.FAILED_PRECONDITION, view.kind());
    assertTrue(view.getMessage().contains("tracking point"), view.getMessage());

    // A clean restart keeps it; an unclean one loses it: the snapshot then tells nothing.
    cloud.close();
    cloud = LocalDirectoryCloud.open(dir, clock);
    try (CloudSnapshot after = cloud.snapshot(vm.id(), point)) {
      assertArrayEquals(new long[] {0, 1, 80, 81},
          after.changedSince(0, 64 * KIB).orElseThrow());
      cloud.releaseSnapshot(after.id());
    }
    cloud.guest(vm.id()).write(1, 0, pattern(4 * KIB, 5));
    cloud.crashForTesting();
    cloud = LocalDirectoryCloud.open(dir, clock);
    try (CloudSnapshot lost = cloud.snapshot(vm.id(), point)) {
      assertEquals(Optional.empty(), lost.changedSince(0, 64 * KIB));
      cloud.releaseSnapshot(lost.id());
    }
    cloud.releaseSnapshot(point);
    assertEquals(List.of(), cloud.snapshots(vm.id()));
  }

  @Test
  void aTrackingPointIsOfItsVmAndOfAnOffVmOnly() throws Exception {
    CloudVm a = cloud.create(spec("a", DiskFormat.RAW, 4L * MIB));
    CloudVm b = cloud.create(spec("b", DiskFormat.RAW, 4L * MIB));
    String point = cloud.startTracked(a.id());
    cloud.start(b.id());
    CloudException other = assertThrows(CloudException.class,
        () -> cloud.snapshot(b.id(), point));
    assertEquals(CloudException.Kind.INVALID_ARGUMENT, other.kind());
    CloudException running = assertThrows(CloudException.class,
        () -> cloud.startTracked(a.id()));
    assertEquals(CloudException.Kind.FAILED_PRECONDITION, running.kind());
    assertEquals(List.of(point), cloud.snapshots(a.id()), "the refused start made none");
  }
}
