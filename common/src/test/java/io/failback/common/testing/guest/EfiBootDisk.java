package io.failback.common.testing.guest;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A disk that boots the tiny guest through UEFI firmware only, laid out as a generation 2
 * Hyper-V VM's system disk is: a GPT whose partition from 1 MiB is an EFI system partition (FAT)
 * holding a boot loader (systemd-boot) as {@code \EFI\BOOT\BOOTX64.EFI}: the path the firmware
 * boots on a disk that no entry of its variable store names, and a cloud copy's store starts
 * with none. The boot loader reads its own configuration: one Boot Loader Specification entry
 * with the packed kernel, its initramfs and the guest's command line. There is no {@code
 * startup.nsh}, so the firmware's shell cannot be what boots it, and a BIOS finds no boot code
 * (the GPT's protective MBR has none). Written with sfdisk and mtools; tools/install-test-deps
 * installs them and systemd-boot.
 */
public final class EfiBootDisk {
  /** Debian's systemd-boot-efi: a boot loader that runs from the removable-media path. */
  public static final Path BOOT_LOADER = Path.of("/usr/lib/systemd/boot/efi/systemd-bootx64.efi");

  /**
   * OVMF's console line when it starts a disk's boot option that names only the device, with no
   * file path: the one it makes itself for a disk it finds, which loads the removable-media path.
   * On a disk without that file it says "failed to load" for the option and goes on to the next.
   * A virtio disk is a "UEFI Misc Device" on its PCI function; a SATA disk a "UEFI QEMU HARDDISK"
   * on its AHCI port.
   */
  public static final Pattern REMOVABLE_MEDIA_BOOT = Pattern.compile(
      "BdsDxe: starting Boot[0-9A-F]{4} \"UEFI (Misc Device|QEMU HARDDISK)[^\"]*\" from"
          + " PciRoot\\(0x0\\)(/Pci\\(0x[0-9A-F]+,0x[0-9A-F]+\\))+"
          + "(/Sata\\(0x[0-9A-F]+,0x[0-9A-F]+,0x[0-9A-F]+\\))?\\s");

  private static final Path SFDISK = Path.of("/usr/sbin/sfdisk");
  private static final long MIB = 1 << 20;
  private static final int SECTOR = 512;
  private static final String ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";

  private EfiBootDisk() {}

  /**
   * The raw image, {@code size} bytes (whole MiB, at least 16), booting {@code guest} with
   * {@code script}.
   */
  public static Path write(Path image, long size, TinyGuest guest, GuestScript script)
      throws IOException, InterruptedException {
    return write(image, size, guest, script, "BOOT", "BOOTX64.EFI");
  }

  /**
   * As {@link #write(Path, long, TinyGuest, GuestScript)}, with the boot loader at {@code
   * \EFI\<vendor>\<loader>} instead of the removable-media path: where an OS that registers
   * its boot entry in the firmware's NVRAM (Debian's GRUB, by default) puts it.
   */
  public static Path write(Path image, long size, TinyGuest guest, GuestScript script,
      String vendor, String loaderFile) throws IOException, InterruptedException {
    assertTrue(size % MIB == 0 && size >= 16 * MIB, "a disk of whole MiB, 16 or more: " + size);
    assertTrue(Files.isRegularFile(BOOT_LOADER), BOOT_LOADER + " is missing:"
        + " tools/install-test-deps installs systemd-boot-efi");
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(size);
    }
    // The partition ends a MiB before the disk does, where the backup GPT (its last 33 sectors)
    // lives: the FAT is given exactly that size, as mtools would otherwise take the file's rest.
    long sectors = (size - 2 * MIB) / SECTOR;
    // Debian keeps sfdisk in /usr/sbin, which is not on a user's PATH.
    String sfdisk = Files.isExecutable(SFDISK) ? SFDISK.toString() : "sfdisk";
    run("label: gpt\nfirst-lba: 2048\nstart=2048, size=" + sectors + ", type=" + ESP_TYPE
        + ", name=\"EFI system partition\"\n", sfdisk, "--quiet", image.toString());
    String esp = image + "@@" + MIB; // mtools: the file system at that offset of the image
    // Hidden sectors: those before the partition, which a partition's FAT records.
    run(null, "mformat", "-i", esp, "-T", Long.toString(sectors), "-H", "2048", "-v", "ESP",
        "::");
    run(null, "mmd", "-i", esp, "::/EFI", "::/EFI/" + vendor, "::/loader",
        "::/loader/entries");
    // Timeout 0: no menu, the default entry boots at once, as on an installed system.
    Path loader = Files.writeString(image.resolveSibling(image.getFileName() + ".loader.conf"),
        "timeout 0\ndefault failback.conf\n", StandardCharsets.US_ASCII);
    Path entry = Files.writeString(image.resolveSibling(image.getFileName() + ".entry.conf"),
        "title Failback tiny guest\nlinux /vmlinuz\ninitrd /initrd.img\noptions "
            + script.kernelCommandLine() + "\n", StandardCharsets.US_ASCII);
    copy(esp, BOOT_LOADER, "::/EFI/" + vendor + "/" + loaderFile);
    copy(esp, loader, "::/loader/loader.conf");
    copy(esp, entry, "::/loader/entries/failback.conf");
    copy(esp, guest.packedKernel(), "::/vmlinuz");
    copy(esp, guest.initrd(), "::/initrd.img");
    return image;
  }

  private static void copy(String esp, Path file, String target)
      throws IOException, InterruptedException {
    run(null, "mcopy", "-i", esp, file.toString(), target);
  }

  /** Runs {@code command} with {@code input} (or none) on its standard input. */
  private static void run(String input, String... command)
      throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      fail(command[0] + " is missing: tools/install-test-deps installs fdisk and mtools ("
          + e + ")");
      return;
    }
    try (OutputStream stdin = process.getOutputStream()) {
      if (input != null) {
        stdin.write(input.getBytes(StandardCharsets.US_ASCII));
      }
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0,
        String.join(" ", List.of(command)) + ": " + output);
  }
}
