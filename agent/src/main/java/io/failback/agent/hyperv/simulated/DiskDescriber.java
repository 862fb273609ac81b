package io.failback.agent.hyperv.simulated;

import io.failback.common.disk.VhdxInfo;
import io.failback.common.disk.VhdxType;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.VirtualDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Describes a disk image file the way {@code Get-VHD} would, from the file itself. */
final class DiskDescriber {
  private static final int RAW_SECTOR_SIZE = 512;

  private DiskDescriber() {}

  /**
   * Reads a {@code .vhdx}/{@code .avhdx} file's metadata, or takes a {@code .raw}/{@code .img}
   * file's length as its size.
   *
   * @param definition the file that names the disk, for error messages
   * @throws io.failback.common.disk.DiskFormatException if a VHDX file is corrupt
   */
  static VirtualDisk describe(Path definition, Path disk) throws IOException {
    if (!Files.exists(disk)) {
      // Deleted on the host: the VM stays in the inventory (with this disk marked), so that
      // this VM can be recreated by a full download and every other VM stays manageable.
      return VirtualDisk.newBuilder().setPath(disk.toString()).setMissing(true).build();
    }
    SimulatedHostJson.check(
        Files.isRegularFile(disk), definition, "disk file %s is not a regular file", disk);
    String name = disk.getFileName().toString().toLowerCase(Locale.ROOT);
    String extension = name.substring(name.lastIndexOf('.') + 1);
    VirtualDisk.Builder builder = VirtualDisk.newBuilder().setPath(disk.toString())
        .setFileSizeBytes(Files.size(disk));
    switch (extension) {
      case "vhdx", "avhdx" -> {
        VhdxInfo info = VhdxInfo.read(disk);
        builder
            .setFormat(DiskFormat.VHDX)
            .setType(diskType(info.type()))
            .setVirtualSizeBytes(info.virtualSize())
            .setLogicalSectorSize(info.logicalSectorSize())
            .setPhysicalSectorSize(info.physicalSectorSize())
            .setBlockSizeBytes(info.blockSize());
      }
      case "raw", "img" -> {
        long size = Files.size(disk);
        SimulatedHostJson.check(
            size > 0 && size % RAW_SECTOR_SIZE == 0,
            definition,
            "raw disk %s is %d bytes long, not a positive multiple of %d",
            disk,
            size,
            RAW_SECTOR_SIZE);
        // Raw images have no allocation map: every byte is addressable, as on a fixed disk.
        builder
            .setFormat(DiskFormat.RAW)
            .setType(DiskType.FIXED)
            .setVirtualSizeBytes(size)
            .setLogicalSectorSize(RAW_SECTOR_SIZE)
            .setPhysicalSectorSize(RAW_SECTOR_SIZE);
      }
      default ->
          throw SimulatedHostJson.invalid(
              definition,
              "disk %s has an unsupported format: expected .vhdx, .avhdx, .raw or .img",
              disk);
    }
    return builder.build();
  }

  private static DiskType diskType(VhdxType type) {
    return switch (type) {
      case FIXED -> DiskType.FIXED;
      case DYNAMIC -> DiskType.DYNAMIC;
      case DIFFERENCING -> DiskType.DIFFERENCING;
    };
  }
}
