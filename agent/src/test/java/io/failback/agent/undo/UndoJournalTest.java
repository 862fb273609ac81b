package io.failback.agent.undo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.undo.UndoFormat;
import io.failback.common.undo.UndoJournalException;
import io.failback.proto.v1.DiskRollback;
import io.failback.proto.v1.RollbackReport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An undo journal puts a disk back byte for byte (raw, dynamic VHDX), survives a crash at any
 * record, and refuses, changing nothing, when it is missing or damaged.
 */
class UndoJournalTest {
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 64 * 1024;
  private static final String VM = "5d3a0f6e-1c2b-4e8f-9a7d-0b1c2d3e4f50";
  private static final String JOURNAL = "0b5c7a3e-2f64-4d1e-8b9a-6c5d4e3f2a10";

  @TempDir Path dir;

  @Test
  void aRawDiskWrittenInManySessionsComesBackExactly() throws Exception {
    Path disk = rawDisk("a.raw", 4 * MIB + 4096, 1);
    byte[] before = Files.readAllBytes(disk);
    UndoJournals journals = new UndoJournals(dir.resolve("state"), Clock.systemUTC());
    Random random = new Random(2);
    for (int session = 0; session < 3; session++) {
      try (BlockDevice device = journals.journaled(VM, JOURNAL, disk.toString(),
          BlockDevices.open(disk, true))) {
        device.aboutToOverwrite(new long[] {0, 3L * BLOCK}, new long[] {BLOCK, 2L * BLOCK});
        for (int i = 0; i < 20; i++) {
          // Unaligned to the journal's regions on purpose, and up to the short last region.
          long offset = (random.nextInt((4 * MIB + 4096) / 4096 - 4)) * 4096L;
          device.write(offset, ByteBuffer.wrap(bytes(random, 3 * 4096)));
        }
        device.writeZeroes(MIB, 2L * BLOCK);
        device.write(4L * MIB, ByteBuffer.wrap(bytes(random, 4096)));
      }
    }
    assertFalse(java.util.Arrays.equals(before, Files.readAllBytes(disk)));
    assertEquals(List.of(disk.toString()), journals.disks(VM));
    byte[] written = Files.readAllBytes(disk);

    // A check reads the journal and says what a rollback would put back, writing nothing.
    RollbackReport planned = journals.check(VM, JOURNAL, p -> 4L * MIB + 4096);
    assertArrayEquals(written, Files.readAllBytes(disk));
    assertEquals(List.of(disk.toString()), journals.disks(VM));
    RollbackReport report = journals.rollback(VM, JOURNAL, p -> BlockDevices.open(Path.of(p), true));
    assertEquals(planned, report);
    assertArrayEquals(before, Files.readAllBytes(disk));
    DiskRollback rolled = report.getDisks(0);
    assertEquals(disk.toString(), rolled.getDiskPath());
    assertTrue(rolled.getRegionsRestored() > 3, report.toString());
    assertFalse(Files.exists(UndoJournals.journalOf(disk.toString())), "journal left behind");
    assertEquals(List.of(), journals.disks(VM));
  }

  @Test
  void aDynamicVhdxGetsItsUnallocatedBlocksBackAsZerosAndItsDataExactly() throws Exception {
    Path disk = dir.resolve("d.vhdx");
    byte[] data = bytes(new Random(3), 2 * MIB);
    try (BlockDevice device = BlockDevices.createDynamicVhdx(disk, 16L * MIB, MIB, 512)) {
      device.write(4L * MIB, ByteBuffer.wrap(data));
      device.flush();
    }
    Path copy = Files.copy(disk, dir.resolve("before.vhdx"));
    UndoJournals journals = new UndoJournals(dir.resolve("state"), Clock.systemUTC());
    try (BlockDevice device = journals.journaled(VM, JOURNAL, disk.toString(),
        BlockDevices.open(disk, true))) {
      device.aboutToOverwrite(new long[] {0}, new long[] {16L * MIB});
      byte[] noise = bytes(new Random(4), 16 * MIB);
      device.write(0, ByteBuffer.wrap(noise));
    }
    long journalBytes = Files.size(UndoJournals.journalOf(disk.toString()));
    assertTrue(journalBytes < 2L * MIB + 64 * 1024, "unallocated regions stored as data: "
        + journalBytes);

    RollbackReport report = journals.rollback(VM, JOURNAL, p -> BlockDevices.open(Path.of(p), true));
    assertEquals(256 - 32, report.getDisks(0).getRegionsZero(), report.toString());
    try (BlockDevice device = BlockDevices.open(disk, false)) {
      assertTrue(device.isKnownZero(8L * MIB, 8L * MIB),
          "whole VHDX blocks unallocated before are allocated after the rollback");
    }
    assertArrayEquals(contents(copy), contents(disk));
    // qemu's own VHDX reader is the independent judge.
    run("qemu-img", "compare", "-q", "-f", "vhdx", "-F", "vhdx", copy.toString(),
        disk.toString());
  }

  @Test
  void aFixedVhdxMadeByQemuImgComesBackExactly() throws Exception {
    Path disk = dir.resolve("f.vhdx");
    run("qemu-img", "create", "-q", "-f", "vhdx", "-o", "subformat=fixed", disk.toString(),
        "8M");
    try (BlockDevice device = BlockDevices.open(disk, true)) {
      device.write(MIB, ByteBuffer.wrap(bytes(new Random(15), 3 * MIB)));
      device.flush();
    }
    Path copy = Files.copy(disk, dir.resolve("fixed-before.vhdx"));
    UndoJournals journals = new UndoJournals(dir.resolve("state"), Clock.systemUTC());
    try (BlockDevice device = journals.journaled(VM, JOURNAL, disk.toString(),
        BlockDevices.open(disk, true))) {
      device.aboutToOverwrite(new long[] {0}, new long[] {8L * MIB});
      device.write(0, ByteBuffer.wrap(bytes(new Random(16), 6 * MIB)));
      device.writeZeroes(6L * MIB, 2L * MIB);
    }
    journals.rollback(VM, JOURNAL, p -> BlockDevices.open(Path.of(p), true));
    assertArrayEquals(contents(copy), contents(disk));
    run("qemu-img", "compare", "-q", "-f", "vhdx", "-F", "vhdx", copy.toString(),
        disk.toString());
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String said = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + said);
  }

  @Test
  void aTornTailAfterACrashIsDroppedAndTheRestStillRollsBack() throws Exception {
    Path disk = rawDisk("t.raw", 2 * MIB, 5);
    byte[] before = Files.readAllBytes(disk);
    UndoJournals journals = new UndoJournals(dir.resolve("state"), Clock.systemUTC());
    try (BlockDevice device = journals.journaled(VM, JOURNAL, disk.toString(),
        BlockDevices.open(disk, true))) {
      device.write(0, ByteBuffer.wrap(bytes(new Random(6), BLOCK)));
    }
    // A crash in the middle of the next append: a record without its seal, cut short.
    Path journal = UndoJournals.journalOf(disk.toString());
    long sealed = Files.size(journal);
    try (FileChannel channel = FileChannel.open(journal, StandardOpenOption.APPEND)) {
      channel.write(UndoFormat.record(UndoFormat.DATA, 5, BLOCK, ByteBuffer.allocate(BLOCK)));
      channel.write(ByteBuffer.allocate(1000));
    }
    // The agent restarts and the failback goes on writing: the torn tail is cut off first.
    try (BlockDevice device = journals.journaled(VM, JOURNAL, disk.toString(),
        BlockDevices.open(disk, true))) {
      assertEquals(sealed, Files.size(journal));
      device.write(5L * BLOCK, ByteBuffer.wrap(bytes(new Random(7), BLOCK)));
    }
    journals.rollback(VM, JOURNAL, p -> BlockDevices.open(Path.of(p), true));
    assertArrayEquals(before, Files.readAllBytes(disk));
  }

  @Test
  void aDamagedOrMissingJournalChangesNothingAndSaysWhich() throws Exception {
    Path a = rawDisk("a.raw", 2 * MIB, 8);
    Path b = rawDisk("b.raw", 2 * MIB, 9);
    UndoJournals journals = new UndoJournals(dir.resolve("state"), Clock.systemUTC());
    for (Path disk : List.of(a, b)) {
      try (BlockDevice device = journals.journaled(VM, JOURNAL, disk.toString(),
          BlockDevices.open(disk, true))) {
        device.write(0, ByteBuffer.wrap(bytes(new Random(10), 4 * BLOCK)));
        device.write(8L * BLOCK, ByteBuffer.wrap(bytes(new Random(11), BLOCK)));
      }
    }
    byte[] written = Files.readAllBytes(a);
    // One bit of the first region's old bytes flips; later seals vouch for that record.
    Path journal = UndoJournals.journalOf(b.toString());
    try (FileChannel channel = FileChannel.open(journal, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      long at = UndoFormat.HEADER_BYTES + UndoFormat.RECORD_BYTES + 100;
      channel.read(one, at);
      one.put(0, (byte) (one.get(0) ^ 1)).rewind();
      channel.write(one, at);
    }
    UndoJournalException checked = assertThrows(UndoJournalException.class,
        () -> journals.check(VM, JOURNAL, p -> 2L * MIB));
    assertTrue(checked.getMessage().contains(" is damaged"), checked.getMessage());
    UndoJournalException damaged = assertThrows(UndoJournalException.class,
        () -> journals.rollback(VM, JOURNAL, p -> BlockDevices.open(Path.of(p), true)));
    assertTrue(damaged.getMessage().contains(journal + ": the record at byte "
        + UndoFormat.HEADER_BYTES + " is damaged"), damaged.getMessage());
    assertArrayEquals(written, Files.readAllBytes(a), "disk a was rolled back alone");
    assertTrue(Files.exists(UndoJournals.journalOf(a.toString())));

    Files.delete(journal);
    UndoJournalException missing = assertThrows(UndoJournalException.class,
        () -> journals.rollback(VM, JOURNAL, p -> BlockDevices.open(Path.of(p), true)));
    assertTrue(missing.getMessage().contains("undo journal " + journal + " is missing"),
        missing.getMessage());
    assertArrayEquals(written, Files.readAllBytes(a));
  }

  @Test
  void discardDeletesTheJournalsAndAnOrphanIsNeverReused() throws Exception {
    Path disk = rawDisk("o.raw", MIB, 12);
    UndoJournals journals = new UndoJournals(dir.resolve("state"), Clock.systemUTC());
    try (BlockDevice device = journals.journaled(VM, JOURNAL, disk.toString(),
        BlockDevices.open(disk, true))) {
      device.write(0, ByteBuffer.wrap(bytes(new Random(13), BLOCK)));
    }
    journals.discard(VM, JOURNAL);
    assertFalse(Files.exists(UndoJournals.journalOf(disk.toString())));
    // An orphan (a discard cut short after the list went) holds another failback's bytes.
    Files.write(UndoJournals.journalOf(disk.toString()), new byte[] {1, 2, 3});
    byte[] committed = Files.readAllBytes(disk);
    try (BlockDevice device = journals.journaled(VM, JOURNAL, disk.toString(),
        BlockDevices.open(disk, true))) {
      device.write(BLOCK, ByteBuffer.wrap(bytes(new Random(14), BLOCK)));
    }
    journals.rollback(VM, JOURNAL, p -> BlockDevices.open(Path.of(p), true));
    assertArrayEquals(committed, Files.readAllBytes(disk));
  }

  private Path rawDisk(String name, int size, int seed) throws IOException {
    Path disk = dir.resolve(name);
    Files.write(disk, bytes(new Random(seed), size));
    return disk;
  }

  private static byte[] bytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] contents(Path vhdx) throws IOException {
    try (BlockDevice device = BlockDevices.open(vhdx, false)) {
      ByteBuffer all = ByteBuffer.allocate((int) device.size());
      device.read(0, all);
      return all.array();
    }
  }
}
