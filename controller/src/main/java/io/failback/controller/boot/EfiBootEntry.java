package io.failback.controller.boot;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A UEFI boot entry (a {@code Boot####} variable) that starts {@code loaderPath} on the GPT
 * partition number {@code partition}, {@code lbaCount} 512-byte sectors from {@code firstLba},
 * whose unique GUID is {@code partitionGuid}. Its device path is the short form an OS writes for
 * itself (efibootmgr, bcdboot): {@code HD(…)/File(…)}, which the firmware finds on whichever
 * disk holds that partition.
 */
public record EfiBootEntry(String loaderPath, int partition, long firstLba, long lbaCount,
    UUID partitionGuid) {
  /** What a FAT 8.3 path read from the guest's partition can be: nothing else is written. */
  private static final Pattern PATH = Pattern.compile("(\\\\[A-Z0-9_~$!#%&'(){}^@`-]{1,8}"
      + "(\\.[A-Z0-9_~$!#%&'(){}^@`-]{1,3})?){1,8}");
  private static final int LOAD_OPTION_ACTIVE = 1;

  public EfiBootEntry {
    checkArgument(isPath(loaderPath), "not a FAT 8.3 path: %s", loaderPath);
    checkArgument(partition > 0 && firstLba > 0 && lbaCount > 0, "partition %s at %s+%s",
        partition, firstLba, lbaCount);
  }

  /** Whether {@code path} is one an entry may start: a FAT 8.3 path in capitals. */
  static boolean isPath(String path) {
    return PATH.matcher(path).matches();
  }

  /** As the firmware prints it, e.g. {@code HD(1,GPT,…,0x800,0xF000)/\EFI\DEBIAN\SHIMX64.EFI}. */
  public String devicePath() {
    return String.format(Locale.ROOT, "HD(%d,GPT,%s,0x%X,0x%X)/%s", partition,
        partitionGuid.toString().toUpperCase(Locale.ROOT), firstLba, lbaCount, loaderPath);
  }

  /**
   * The variable's value: an active EFI_LOAD_OPTION named {@code description} (UEFI 2.10,
   * section 3.1.3) whose device path is a hard drive node (10.3.5.1), a file path node
   * (10.3.5.4) and the end node.
   */
  public byte[] loadOption(String description) {
    byte[] file = (loaderPath + '\0').getBytes(StandardCharsets.UTF_16LE);
    ByteBuffer path = ByteBuffer.allocate(42 + 4 + file.length + 4)
        .order(ByteOrder.LITTLE_ENDIAN);
    path.put((byte) 4).put((byte) 1).putShort((short) 42).putInt(partition).putLong(firstLba)
        .putLong(lbaCount).put(guidBytes(partitionGuid)).put((byte) 2).put((byte) 2);
    path.put((byte) 4).put((byte) 4).putShort((short) (4 + file.length)).put(file);
    path.put((byte) 0x7F).put((byte) 0xFF).putShort((short) 4);
    byte[] name = (description + '\0').getBytes(StandardCharsets.UTF_16LE);
    return ByteBuffer.allocate(6 + name.length + path.capacity()).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(LOAD_OPTION_ACTIVE).putShort((short) path.capacity()).put(name)
        .put(path.array()).array();
  }

  /** The GUID stored at {@code at}: {@link #guidBytes} read back. */
  static UUID guid(byte[] bytes, int at) {
    ByteBuffer le = ByteBuffer.wrap(bytes, at, 16).slice().order(ByteOrder.LITTLE_ENDIAN);
    long high = (le.getInt(0) & 0xFFFFFFFFL) << 32 | (le.getShort(4) & 0xFFFFL) << 16
        | (le.getShort(6) & 0xFFFFL);
    return new UUID(high, le.order(ByteOrder.BIG_ENDIAN).getLong(8));
  }

  /** A GUID as UEFI stores it: three little-endian fields, then eight bytes in order. */
  static byte[] guidBytes(UUID guid) {
    long high = guid.getMostSignificantBits();
    return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt((int) (high >>> 32))
        .putShort((short) (high >>> 16)).putShort((short) high).order(ByteOrder.BIG_ENDIAN)
        .putLong(guid.getLeastSignificantBits()).array();
  }
}
