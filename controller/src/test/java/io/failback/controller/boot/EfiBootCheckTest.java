package io.failback.controller.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.guest.EfiBootDisk;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import java.nio.file.Path;
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
    // An 8.3 name in lower case is stored as a short name (with case flags fat32-lib ignores).
    assertEquals(Optional.of(new EfiBootCheck.Verdict(false, "its EFI system partition has no"
        + " \\EFI\\BOOT\\BOOTX64.EFI, only \\EFI\\DEBIAN\\GRUBX64.EFI")),
        check(EfiBootDisk.write(dir.resolve("debian.img"), DISK, guest, script, "debian",
            "grubx64.efi")));
    Path empty = dir.resolve("empty.raw");
    BlockDevices.createRawSparse(empty, DISK).close();
    assertEquals(Optional.empty(), check(empty), "no GPT");
  }

  private static Optional<EfiBootCheck.Verdict> check(Path image) throws Exception {
    try (BlockDevice disk = BlockDevices.open(image, false)) {
      return EfiBootCheck.of(disk);
    }
  }
}
