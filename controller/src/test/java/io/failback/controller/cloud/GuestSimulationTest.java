package io.failback.controller.cloud;

import static io.failback.controller.cloud.CloudTesting.KIB;
import static io.failback.controller.cloud.CloudTesting.MIB;
import static io.failback.controller.cloud.CloudTesting.readDisk;
import static io.failback.controller.cloud.CloudTesting.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.failback.common.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulated guest's writes: whole 64 KiB blocks, or one small write in each. */
class GuestSimulationTest {
  @TempDir Path dir;

  @Test
  void smallWritesLandOnePerBlockAlignedToTheirSize() throws Exception {
    LocalDirectoryCloud cloud = LocalDirectoryCloud.open(dir, new MutableClock(
        Instant.parse("2026-12-06T00:00:00Z")));
    CloudVm vm = cloud.create(spec("app", DiskFormat.RAW, 8L * MIB));
    cloud.start(vm.id());
    try (GuestSimulation simulation = new GuestSimulation(cloud)) {
      byte[] before = readDisk(cloud, vm.id(), 0);
      assertEquals(20, simulation.write(vm.id(), 0, 20, 3, Duration.ZERO, 4 * KIB));
      byte[] after = readDisk(cloud, vm.id(), 0);
      BitSet blocks = new BitSet();
      BitSet pages = new BitSet();
      for (int page = 0; page < after.length / (4 * KIB); page++) {
        int from = page * 4 * KIB;
        if (!Arrays.equals(before, from, from + 4 * KIB, after, from, from + 4 * KIB)) {
          pages.set(page);
          blocks.set(page / 16);
        }
      }
      // Random bytes over zeros: every written page differs, one page in each of 20 blocks.
      assertEquals(20, blocks.cardinality(), blocks.toString());
      assertEquals(20, pages.cardinality(), pages.toString());

      CloudException odd = assertThrows(CloudException.class,
          () -> simulation.write(vm.id(), 0, 1, 3, Duration.ZERO, 12 * KIB));
      assertEquals("a write of 12288 bytes is not a power of two from 4096 to 65536",
          odd.getMessage());
    }
  }
}
