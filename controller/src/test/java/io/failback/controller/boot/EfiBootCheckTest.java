package io.failback.controller.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.guest.EfiBootDisk;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whether a generation 2 disk boots in a cloud copy, whose UEFI variable store holds none of
 * the on-prem VM's boot entries: GPT disks laid out by mtools and sfdisk, read through our
 * block devices.
 */
class EfiBootCheckTest {
  private static final long DISK = 32L << 20;

  @TempDir Path dir;

  @Test
  void aRemovableMediaLoaderBootsAVendorOneAloneDoesNotAndNoGptHasNoVerdict() throws Exception {
    TinyGuest guest = TinyGuest.require();
    GuestScript script = new GuestScript().awaitAcpiShutdown();
    assertEquals(Optional.of(new EfiBootCheck.Verdict(true,
        "its EFI system partition holds \\EFI\\BOOT\\BOOTX64.EFI")),
        check(EfiBootDisk.write(dir.resolve("fallback.img"), DISK, guest, script)));
    // An 8.3 name in lower case is kept as a short name, which is in capitals.
    Path debian = EfiBootDisk.write(dir.resolve("debian.img"), DISK, guest, script, "debian",
        "grubx64.efi");
    EfiBootCheck.Verdict verdict = check(debian).orElseThrow();
    assertEquals(new EfiBootCheck.Verdict(false, "its EFI system partition has no"
        + " \\EFI\\BOOT\\BOOTX64.EFI, only \\EFI\\DEBIAN\\GRUBX64.EFI", verdict.entry()), verdict);
    // The entry Debian's installer writes for it: partition 1, from 1 MiB to 1 MiB short of
    // the end, its GUID as sfdisk chose it.
    assertEquals(Optional.of(new EfiBootEntry("\\EFI\\DEBIAN\\GRUBX64.EFI", 1, 2048,
        (DISK - (2 << 20)) / 512, partitionGuid(debian))), verdict.entry());
    Path empty = dir.resolve("empty.raw");
    BlockDevices.createRawSparse(empty, DISK).close();
    assertEquals(Optional.empty(), check(empty), "no GPT");
  }

  /** FAT32, as larger ESPs are formatted (mformat -F): the same lookups through its FAT. */
  @Test
  void aFat32PartitionIsReadToo() throws Exception {
    Path image = EfiBootDisk.write(dir.resolve("fat32.img"), 64L << 20,
        TinyGuest.require(), new GuestScript(), "BOOT", "BOOTX64.EFI");
    // Reformat the partition as FAT32 and put the loader back.
    String esp = image + "@@" + (1 << 20);
    run("mformat", "-i", esp, "-F", "-T", Long.toString(((64L << 20) - (2L << 20)) / 512),
        "-H", "2048", "::");
    run("mmd", "-i", esp, "::/EFI", "::/EFI/BOOT");
    run("mcopy", "-i", esp, EfiBootDisk.BOOT_LOADER.toString(), "::/EFI/BOOT/BOOTX64.EFI");
    assertEquals(Optional.of(new EfiBootCheck.Verdict(true,
        "its EFI system partition holds \\EFI\\BOOT\\BOOTX64.EFI")), check(image));
  }

  /**
   * The partition's bytes are the guest's, sent by an untrusted host: a cluster chain that
   * loops, or a boot sector that claims more than the partition, is refused at once.
   */
  @Test
  void aLoopingChainOrAnOversizedFileSystemIsRefusedNotFollowed() throws Exception {
    Path image = EfiBootDisk.write(dir.resolve("loop.img"), DISK, TinyGuest.require(),
        new GuestScript());
    long part = 1 << 20;
    ByteBuffer boot = readAt(image, part, 512);
    int bytesPerSector = Short.toUnsignedInt(boot.getShort(11));
    long fat = part + Short.toUnsignedInt(boot.getShort(14)) * (long) bytesPerSector;
    long root = fat + boot.get(16) * Short.toUnsignedInt(boot.getShort(22))
        * (long) bytesPerSector;
    ByteBuffer entries = readAt(image, root, 16 * 32);
    int cluster = -1;
    for (int at = 0; at < entries.limit(); at += 32) {
      if (new String(entries.array(), at, 11, StandardCharsets.US_ASCII).equals("EFI        ")) {
        cluster = Short.toUnsignedInt(entries.getShort(at + 26));
      }
    }
    assertTrue(cluster >= 2, "the EFI folder's cluster");
    // The EFI folder's chain points back at itself (FAT16: two bytes an entry).
    writeAt(image, fat + 2L * cluster, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN)
        .putShort(0, (short) cluster));
    IOException loops = assertThrows(IOException.class, () -> check(image));
    assertTrue(loops.getMessage().contains("loops"), loops.getMessage());

    // 2^31 sectors of 512 bytes: a terabyte in a 30 MiB partition.
    writeAt(image, part + 32, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(0, Integer.MIN_VALUE));
    writeAt(image, part + 19, ByteBuffer.allocate(2));
    IOException oversized = assertThrows(IOException.class, () -> check(image));
    assertTrue(oversized.getMessage().contains("beyond the partition"), oversized.getMessage());
  }

  private static ByteBuffer readAt(Path image, long offset, int length) throws IOException {
    try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
      file.read(buffer, offset);
      return buffer.flip();
    }
  }

  private static void writeAt(Path image, long offset, ByteBuffer bytes) throws IOException {
    try (FileChannel file = FileChannel.open(image, StandardOpenOption.WRITE)) {
      file.write(bytes, offset);
    }
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor() == 0, String.join(" ", command) + ": " + output);
  }

  /**
   * Two OSes' loaders (a shim in two folders): which one the on-prem entry named is not
   * clear, so no entry is proposed.
   */
  @Test
  void twoOsLoadersProposeNoEntry() throws Exception {
    Path image = EfiBootDisk.write(dir.resolve("two.img"), DISK, TinyGuest.require(),
        new GuestScript(), "debian", "shimx64.efi");
    String esp = image + "@@" + (1 << 20);
    run("mmd", "-i", esp, "::/EFI/ubuntu");
    run("mcopy", "-i", esp, EfiBootDisk.BOOT_LOADER.toString(), "::/EFI/ubuntu/shimx64.efi");
    EfiBootCheck.Verdict verdict = check(image).orElseThrow();
    assertTrue(verdict.summary().endsWith("only \\EFI\\DEBIAN\\SHIMX64.EFI,"
        + " \\EFI\\UBUNTU\\SHIMX64.EFI"), verdict.summary());
    assertEquals(Optional.empty(), verdict.entry());
  }

  /** The unique GUID sfdisk gave the image's first partition. */
  private static java.util.UUID partitionGuid(Path image) throws Exception {
    Process process = new ProcessBuilder("/usr/sbin/sfdisk", "--dump", image.toString())
        .redirectErrorStream(true).start();
    String dump = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), dump);
    java.util.regex.Matcher uuid = java.util.regex.Pattern.compile("uuid=([0-9A-F-]{36})")
        .matcher(dump);
    assertTrue(uuid.find(), dump);
    return java.util.UUID.fromString(uuid.group(1));
  }

  private static Optional<EfiBootCheck.Verdict> check(Path image) throws Exception {
    try (BlockDevice disk = BlockDevices.open(image, false)) {
      return EfiBootCheck.of(disk);
    }
  }
}
