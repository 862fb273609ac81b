package io.failback.common.testing.guest;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A disk that boots the tiny guest through UEFI firmware only, as a generation 2 Hyper-V VM's
 * disk does: a whole-disk FAT file system holding the packed kernel (an EFI program), its
 * initramfs and a {@code startup.nsh} that the firmware's shell runs from the boot disk. A BIOS
 * finds no boot code on it. Written with mtools (tools/install-test-deps installs them).
 */
public final class EfiBootDisk {
  private EfiBootDisk() {}

  /** The raw image, {@code size} bytes, booting {@code guest} with {@code script}. */
  public static Path write(Path image, long size, TinyGuest guest, GuestScript script)
      throws IOException, InterruptedException {
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(size);
    }
    Path startup = Files.writeString(image.resolveSibling(image.getFileName() + ".nsh"),
        "\\vmlinuz initrd=\\initrd.img " + script.kernelCommandLine() + "\r\n",
        StandardCharsets.US_ASCII);
    String target = image.toString();
    mtools("mformat", "-i", target, "::");
    mtools("mcopy", "-i", target, guest.packedKernel().toString(), "::/vmlinuz");
    mtools("mcopy", "-i", target, guest.initrd().toString(), "::/initrd.img");
    mtools("mcopy", "-i", target, startup.toString(), "::/startup.nsh");
    return image;
  }

  private static void mtools(String... command) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      fail(command[0] + " is missing: tools/install-test-deps installs mtools (" + e + ")");
      return;
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0,
        String.join(" ", List.of(command)) + ": " + output);
  }
}
