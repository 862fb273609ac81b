package io.failback.controller.boot;

import de.waldheinz.fs.FileSystem;
import de.waldheinz.fs.FileSystemFactory;
import de.waldheinz.fs.FsDirectory;
import de.waldheinz.fs.FsDirectoryEntry;
import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether a generation 2 VM's cloud copy can boot by itself. Its UEFI variable store starts
 * empty: the boot entries the guest's OS wrote stay with the on-prem VM (Hyper-V keeps them
 * outside the disks). So the firmware boots the EFI system partition's removable-media path,
 * {@code \EFI\BOOT\BOOTX64.EFI}. Windows Setup writes that file; Debian's GRUB, for one, does
 * not by default, and a copy of such a guest would not boot. Only reads the disk.
 */
public final class EfiBootCheck {
  static final String FALLBACK = "BOOTX64.EFI";

  private EfiBootCheck() {}

  /** What the disk's EFI system partition holds, as far as booting it goes. */
  public record Verdict(boolean bootable, String summary) {}

  /** The verdict for {@code disk}, or empty when it has no GPT EFI system partition. */
  public static Optional<Verdict> of(BlockDevice disk) throws IOException {
    Optional<GptEsp.Extent> esp = GptEsp.of(disk);
    return esp.isEmpty() ? Optional.empty() : Optional.of(of(disk, esp.get()));
  }

  private static Verdict of(BlockDevice disk, GptEsp.Extent esp) throws IOException {
    FileSystem fat = FileSystemFactory.create(new PartitionView(disk, esp), true);
    try {
      Optional<FsDirectory> efi = directory(fat.getRoot(), "EFI");
      if (efi.isEmpty()) {
        return new Verdict(false, "its EFI system partition has no \\EFI folder");
      }
      Optional<FsDirectory> boot = directory(efi.get(), "BOOT");
      if (boot.isPresent() && entry(boot.get(), FALLBACK).filter(FsDirectoryEntry::isFile)
          .isPresent()) {
        return new Verdict(true, "its EFI system partition holds \\EFI\\BOOT\\" + FALLBACK);
      }
      List<String> loaders = loaders(efi.get());
      return new Verdict(false, "its EFI system partition has no \\EFI\\BOOT\\" + FALLBACK
          + (loaders.isEmpty() ? "" : ", only " + String.join(", ", loaders)));
    } finally {
      fat.close();
    }
  }

  /** The .efi files one folder below \EFI, e.g. \EFI\debian\shimx64.efi. */
  private static List<String> loaders(FsDirectory efi) throws IOException {
    List<String> found = new ArrayList<>();
    for (FsDirectoryEntry vendor : efi) {
      if (!vendor.isDirectory() || vendor.getName().startsWith(".")) {
        continue;
      }
      for (FsDirectoryEntry file : vendor.getDirectory()) {
        if (file.isFile() && file.getName().toLowerCase(Locale.ROOT).endsWith(".efi")
            && found.size() < 8) {
          found.add("\\EFI\\" + vendor.getName() + "\\" + file.getName());
        }
      }
    }
    return found;
  }

  private static Optional<FsDirectory> directory(FsDirectory parent, String name)
      throws IOException {
    Optional<FsDirectoryEntry> entry = entry(parent, name);
    return entry.isPresent() && entry.get().isDirectory()
        ? Optional.of(entry.get().getDirectory()) : Optional.empty();
  }

  /** FAT compares names ignoring case. */
  private static Optional<FsDirectoryEntry> entry(FsDirectory parent, String name) {
    for (FsDirectoryEntry entry : parent) {
      if (entry.getName().equalsIgnoreCase(name)) {
        return Optional.of(entry);
      }
    }
    return Optional.empty();
  }
}
