package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.proto.v1.DiskRollback;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica's undo journals: what passes overwrote goes back, however many failed. */
class ReplicaUndoTest {
  private static final int MIB = 1 << 20;
  private static final String VM = "8f2c1a3e-5b7d-4e09-a1c2-3d4e5f607182";

  @TempDir Path dir;

  @Test
  void twoUnfinishedPassesAreUndoneToWhatTheReplicaHeldBeforeTheFirst() throws Exception {
    Path disk = dir.resolve("disk-0.raw");
    byte[] recoveryPoint = random(4 * MIB, 1);
    Files.write(disk, recoveryPoint);
    ReplicaUndo undo = new ReplicaUndo(dir.resolve("undo"), 0);
    assertFalse(undo.kept(VM));

    for (int pass = 0; pass < 2; pass++) {
      try (BlockDevice replica = undo.journaled(VM, 0, BlockDevices.open(disk, true), pass)) {
        // Overlapping regions: the second pass must not keep the first one's bytes as "old".
        replica.write(MIB, ByteBuffer.wrap(random(128 * 1024, 10 + pass)));
        replica.writeZeroes(3L * MIB, 64 * 1024);
      }
    }
    assertTrue(undo.kept(VM));
    assertFalse(java.util.Arrays.equals(recoveryPoint, Files.readAllBytes(disk)));

    List<DiskRollback> back = undo.undo(VM, i -> BlockDevices.open(disk, true));
    assertArrayEquals(recoveryPoint, Files.readAllBytes(disk));
    assertEquals(3, back.get(0).getRegionsRestored(), back.toString());
    assertFalse(undo.kept(VM));
    try (Stream<Path> left = Files.list(dir.resolve("undo"))) {
      assertEquals(0, left.count(), "journals left behind");
    }
  }

  @Test
  void aWriteWhoseOldBytesWouldGoUnderTheFloorIsRefusedAndWritesNothing() throws Exception {
    Path disk = dir.resolve("disk-0.raw");
    byte[] recoveryPoint = random(MIB, 2);
    Files.write(disk, recoveryPoint);
    ReplicaUndo undo = new ReplicaUndo(dir.resolve("undo"), Long.MAX_VALUE);
    try (BlockDevice replica = undo.journaled(VM, 0, BlockDevices.open(disk, true), 0)) {
      IOException refused = assertThrows(IOException.class,
          () -> replica.write(0, ByteBuffer.wrap(random(64 * 1024, 3))));
      assertTrue(refused.getMessage().contains("free, under the"), refused.getMessage());
    }
    assertArrayEquals(recoveryPoint, Files.readAllBytes(disk));
  }

  @Test
  void aVmIdNeverBecomesAPath() throws Exception {
    Path disk = dir.resolve("disk-0.raw");
    Files.write(disk, new byte[MIB]);
    ReplicaUndo undo = new ReplicaUndo(dir.resolve("undo"), 0);
    undo.journaled("../../escape", 0, BlockDevices.open(disk, true), 0).close();
    assertFalse(Files.exists(dir.resolve("undo").resolve("../../escape").normalize()));
    try (Stream<Path> folders = Files.list(dir.resolve("undo"))) {
      assertTrue(folders.allMatch(p -> p.getFileName().toString()
          .matches("[0-9a-f-]{36}")));
    }
  }

  private static byte[] random(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }
}
