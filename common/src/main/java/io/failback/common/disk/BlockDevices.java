package io.failback.common.disk;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.UUID;

/** Opens disk images by what their bytes say they are, and creates new target disks. */
public final class BlockDevices {
  /** The VHD (v1) cookie, in the footer at the end of the file and, when dynamic, at 0. */
  private static final long VHD_COOKIE = bytesLe("conectix");

  private static final int VHD_FOOTER_SIZE = 512;

  private BlockDevices() {}

  /**
   * Opens a VHDX file (recognized by its {@code vhdxfile} signature, whatever its name) as a {@link
   * VhdxDevice}, anything else as a {@link RawImageDevice}.
   *
   * @throws DiskFormatException for VHD (v1) files, which are not supported, and for files named
   *     {@code .vhdx}/{@code .avhdx}/{@code .vhd} that lack the signature their name promises (most
   *     likely damaged: writing them as raw images would destroy them)
   */
  public static BlockDevice open(Path path, boolean writable) throws IOException {
    Format format = probe(path);
    String name = path.getFileName() == null ? "" : path.getFileName().toString();
    String lower = name.toLowerCase(Locale.ROOT);
    switch (format) {
      case VHDX:
        return VhdxDevice.open(path, writable);
      case VHD:
        throw new DiskFormatException(
            path,
            "is a VHD (v1) disk ('conectix' footer), which is not supported: convert it to VHDX"
                + " first (Convert-VHD, or qemu-img convert -O vhdx)");
      default:
        if (lower.endsWith(".vhdx") || lower.endsWith(".avhdx") || lower.endsWith(".vhd")) {
          throw new DiskFormatException(
              path,
              "is named like a virtual hard disk but has neither a 'vhdxfile' signature nor a"
                  + " 'conectix' footer: refusing to treat it as a raw image");
        }
        return RawImageDevice.open(path, writable);
    }
  }

  private enum Format {
    VHDX,
    VHD,
    RAW
  }

  private static Format probe(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = channel.size(); // 0 for block devices: only their start is probed
      long head = readLong(channel, 0, size);
      if (head == VhdxFormat.FILE_ID_SIGNATURE) {
        return Format.VHDX;
      }
      if (head == VHD_COOKIE
          || (size >= VHD_FOOTER_SIZE
              && readLong(channel, size - VHD_FOOTER_SIZE, size) == VHD_COOKIE)) {
        return Format.VHD;
      }
      return Format.RAW;
    }
  }

  /** The 8 bytes at {@code offset} (little-endian), or 0 when the file is shorter. */
  private static long readLong(FileChannel channel, long offset, long size) throws IOException {
    ByteBuffer bytes = VhdxFormat.allocate(8);
    while (bytes.hasRemaining()) {
      if (channel.read(bytes, offset + bytes.position()) < 0) {
        return 0;
      }
    }
    return bytes.getLong(0);
  }

  private static long bytesLe(String ascii) {
    return VhdxFormat.allocate(8).put(ascii.getBytes(StandardCharsets.US_ASCII)).getLong(0);
  }

  /**
   * Creates a new dynamic VHDX whose blocks all read as zeros and opens it for writing.
   *
   * @throws FileAlreadyExistsException if {@code path} exists
   * @see VhdxCreator#createDynamic
   */
  public static BlockDevice createDynamicVhdx(
      Path path, long size, int blockSize, int logicalSectorSize) throws IOException {
    VhdxCreator.createDynamic(path, size, blockSize, logicalSectorSize);
    return VhdxDevice.open(path, true);
  }

  /**
   * Creates a new sparse raw image of {@code size} bytes, all zeros and unallocated, and opens it
   * for writing.
   *
   * <p>Written under a temporary name, flushed, then published without replacing an existing file;
   * on failure nothing is left under either name.
   *
   * @throws FileAlreadyExistsException if {@code path} exists
   * @throws IllegalArgumentException if {@code size} is not a positive multiple of 512
   */
  public static BlockDevice createRawSparse(Path path, long size) throws IOException {
    checkArgument(
        size > 0 && size % 512 == 0, "size must be a positive multiple of 512, got %s", size);
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(path.toString(), null, "refusing to overwrite");
    }
    Path temp = path.resolveSibling(path.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      Files.createFile(temp);
      try (RandomAccessFile out = new RandomAccessFile(temp.toFile(), "rw")) {
        // ftruncate(2): the whole disk one hole. A zero byte written at the end would make the
        // last block data, which every sync then sends, probes and ends on its own.
        out.setLength(size);
        out.getFD().sync();
      }
      DurableFiles.publishNew(temp, path);
    } finally {
      Files.deleteIfExists(temp);
    }
    return RawImageDevice.open(path, true);
  }
}
