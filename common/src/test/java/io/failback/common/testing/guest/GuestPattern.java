package io.failback.common.testing.guest;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The bytes the tiny guest's {@code w} command writes: every 512-byte sector holds 16 copies of
 * the 32-byte record {@code "%-8.8s%023d\n"} of the tag and the sector's absolute disk offset,
 * so data at the wrong place never matches (a sector is what a disk writes whole).
 */
public final class GuestPattern {
  static final int RECORD = 32;
  static final int SECTOR = 512;

  private GuestPattern() {}

  /** What {@code w:DEV:offset:length:tag} writes, for checking a disk from the host. */
  public static byte[] bytes(String tag, long offset, int length) {
    checkArgument(offset % SECTOR == 0 && length % SECTOR == 0,
        "offset %s and length %s must be multiples of %s", offset, length, SECTOR);
    byte[] out = new byte[length];
    String padded = String.format("%-8.8s", tag);
    for (int sector = 0; sector < length; sector += SECTOR) {
      byte[] record = (padded + String.format("%023d", offset + sector) + "\n")
          .getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < SECTOR; i += RECORD) {
        System.arraycopy(record, 0, out, sector + i, RECORD);
      }
    }
    return out;
  }

  /** Lower-case hex SHA-256, as the guest's {@code FB-SUM} reports it. */
  public static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
