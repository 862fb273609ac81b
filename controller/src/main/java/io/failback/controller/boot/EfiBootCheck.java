package io.failback.controller.boot;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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
  private static final int MAX_LOADERS_SAID = 8;

  private EfiBootCheck() {}

  /**
   * The boot loaders a Linux distribution names in the boot entry it writes, most wanted first:
   * the Secure Boot shim (Debian, Ubuntu, RHEL, SUSE), then GRUB itself. (Windows Setup writes
   * the removable-media path as well.)
   */
  private static final List<String> OS_LOADERS = List.of("SHIMX64.EFI", "GRUBX64.EFI");

  /**
   * What the disk's EFI system partition holds, as far as booting it goes; for a disk that does
   * not boot by itself, the entry that would start its OS's loader, when one is clear.
   */
  public record Verdict(boolean bootable, String summary, Optional<EfiBootEntry> entry) {
    public Verdict(boolean bootable, String summary) {
      this(bootable, summary, Optional.empty());
    }
  }

  /**
   * The verdict for {@code disk}, or empty when it has no GPT EFI system partition.
   *
   * @throws IOException when the partition is not a FAT file system it can read
   */
  public static Optional<Verdict> of(BlockDevice disk) throws IOException {
    Optional<GptEsp.Extent> esp = GptEsp.of(disk);
    return esp.isEmpty() ? Optional.empty()
        : Optional.of(of(new FatDirectories(disk, esp.get()), esp.get()));
  }

  private static Verdict of(FatDirectories fat, GptEsp.Extent esp) throws IOException {
    Optional<FatDirectories.Entry> efi = find(fat.root(), "EFI", true);
    if (efi.isEmpty()) {
      return new Verdict(false, "its EFI system partition has no \\EFI folder");
    }
    List<FatDirectories.Entry> vendors = fat.list(efi.get());
    Optional<FatDirectories.Entry> boot = find(vendors, "BOOT", true);
    if (boot.isPresent() && find(fat.list(boot.get()), FALLBACK, false).isPresent()) {
      return new Verdict(true, "its EFI system partition holds \\EFI\\BOOT\\" + FALLBACK);
    }
    List<String> all = new ArrayList<>();
    for (FatDirectories.Entry vendor : vendors) {
      if (!vendor.directory() || vendor.name().startsWith(".")) {
        continue;
      }
      for (FatDirectories.Entry file : fat.list(vendor)) {
        if (!file.directory() && file.name().endsWith(".EFI")) {
          all.add("\\EFI\\" + vendor.name() + "\\" + file.name());
        }
      }
    }
    return new Verdict(false, "its EFI system partition has no \\EFI\\BOOT\\" + FALLBACK
        + (all.isEmpty() ? "" : ", only " + String.join(", ",
            all.subList(0, Math.min(all.size(), MAX_LOADERS_SAID)))),
        osLoader(all).filter(path -> esp.sectorSize() == 512 && EfiBootEntry.isPath(path))
            .map(path -> new EfiBootEntry(path,
                esp.number(), esp.firstLba(), esp.lbaCount(), esp.guid())));
  }

  /**
   * The loader an entry should start: the most wanted of {@link #OS_LOADERS} when only one
   * folder has it, else the one loader there is; none when that is not clear (two OSes). A
   * 4096-byte-sector layout gets none: the copy's disks show 512-byte sectors, where the
   * firmware would not find the partition.
   */
  private static Optional<String> osLoader(List<String> paths) {
    for (String name : OS_LOADERS) {
      List<String> found = paths.stream().filter(p -> p.endsWith("\\" + name)).toList();
      if (!found.isEmpty()) {
        return found.size() == 1 ? Optional.of(found.get(0)) : Optional.empty();
      }
    }
    return paths.size() == 1 ? Optional.of(paths.get(0)) : Optional.empty();
  }

  /** FAT keeps 8.3 names in capitals. */
  private static Optional<FatDirectories.Entry> find(List<FatDirectories.Entry> entries,
      String name, boolean directory) {
    return entries.stream().filter(e -> e.name().equals(name) && e.directory() == directory)
        .findFirst();
  }
}
