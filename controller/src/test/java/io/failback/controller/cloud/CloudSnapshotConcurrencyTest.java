package io.failback.controller.cloud;

import static io.failback.controller.cloud.CloudTesting.KIB;
import static io.failback.controller.cloud.CloudTesting.MIB;
import static io.failback.controller.cloud.CloudTesting.readAll;
import static io.failback.controller.cloud.CloudTesting.readDisk;
import static io.failback.controller.cloud.CloudTesting.sha256;
import static io.failback.controller.cloud.CloudTesting.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.MutableClock;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The guest writes while two lanes read the snapshot: the view never changes. */
class CloudSnapshotConcurrencyTest {
  private static final long SIZE = 32L * MIB;

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(value = DiskFormat.class, names = {"VHDX", "RAW"}) // the local cloud's formats
  void aSnapshotReadDuringGuestWritesNeverChanges(DiskFormat format) throws Exception {
    try (LocalDirectoryCloud cloud = LocalDirectoryCloud.open(dir, MutableClock.startingNow())) {
      CloudVm vm = cloud.create(spec("busy", format, SIZE));
      cloud.start(vm.id());
      SimulatedGuest guest = cloud.guest(vm.id());
      guest.scribble(0, 500, 1);
      byte[] before = readDisk(cloud, vm.id(), 0);
      String digest = sha256(before);

      try (CloudSnapshot snapshot = cloud.snapshot(vm.id())) {
        BlockDevice lane1 = snapshot.disk(0);
        BlockDevice lane2 = snapshot.disk(0);
        assertEquals(digest, sha256(readAll(lane1)), "before the writes");
        AtomicBoolean writing = new AtomicBoolean(true);
        CountDownLatch started = new CountDownLatch(3);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
          List<Callable<Integer>> work = new ArrayList<>();
          work.add(() -> write(guest, started, writing));
          work.add(() -> wholeDigests(lane1, digest, started, writing));
          work.add(() -> randomReads(lane2, before, started, writing));
          List<Future<Integer>> results = new ArrayList<>();
          for (Callable<Integer> task : work) {
            results.add(threads.submit(task));
          }
          int writes = results.get(0).get(2, TimeUnit.MINUTES);
          int passes = results.get(1).get(2, TimeUnit.MINUTES);
          int reads = results.get(2).get(2, TimeUnit.MINUTES);
          assertTrue(writes > 0 && passes > 0 && reads > 0, writes + "/" + passes + "/" + reads);
        } finally {
          threads.shutdownNow();
        }

        assertEquals(digest, sha256(readAll(lane1)), "after the writes");
        assertArrayEquals(before, readAll(lane2));
        assertFalse(Arrays.equals(before, readDisk(cloud, vm.id(), 0)), "the guest did write");
      }
    }
  }

  /** Writes extents of 4 KiB to 128 KiB, many crossing chunks, until enough have been done. */
  private static int write(SimulatedGuest guest, CountDownLatch started, AtomicBoolean writing)
      throws Exception {
    started.countDown();
    started.await();
    SplittableRandom random = new SplittableRandom(7);
    int writes = 0;
    try {
      for (long seed = 1000; seed < 1060; seed++) {
        guest.scribble(0, 40, seed);
        byte[] bytes = new byte[(1 + random.nextInt(32)) * 4 * KIB];
        random.nextBytes(bytes);
        guest.write(0, random.nextLong(SIZE / (4 * KIB) - 32) * 4 * KIB, bytes);
        writes += 41;
      }
    } finally {
      writing.set(false);
    }
    return writes;
  }

  /** Digests the whole view over and over; at least one full pass runs after the writes. */
  private static int wholeDigests(BlockDevice view, String digest, CountDownLatch started,
      AtomicBoolean writing) throws Exception {
    started.countDown();
    started.await();
    int passes = 0;
    boolean last;
    do {
      last = !writing.get();
      assertEquals(digest, sha256(readAll(view)), "during the writes, pass " + passes);
      passes++;
    } while (!last);
    return passes;
  }

  /** Reads random 4 KiB-aligned ranges (crossing chunks) and compares them with the copy. */
  private static int randomReads(BlockDevice view, byte[] before, CountDownLatch started,
      AtomicBoolean writing) throws Exception {
    started.countDown();
    started.await();
    SplittableRandom random = new SplittableRandom(8);
    int reads = 0;
    while (writing.get() || reads == 0) {
      int length = (1 + random.nextInt(64)) * 4 * KIB;
      long offset = random.nextLong((SIZE - length) / (4 * KIB) + 1) * 4 * KIB;
      ByteBuffer buffer = ByteBuffer.allocate(length);
      view.read(offset, buffer);
      byte[] expected = Arrays.copyOfRange(before, (int) offset, (int) offset + length);
      assertArrayEquals(expected, buffer.array(), "range at " + offset);
      reads++;
    }
    return reads;
  }
}
