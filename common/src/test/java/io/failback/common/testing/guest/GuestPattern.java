package io.failback.common.testing.guest;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The bytes the tiny guest's {@code w} command writes: 32-byte records {@code "%-8.8s%023d\n"}
 * of the tag and the record's absolute disk offset, so data at the wrong place never matches.
 */
public final class GuestPattern {
  static final int RECORD = 32;

  private GuestPattern() {}

  /** What {@code w:DEV:offset:length:tag} writes, for checking a disk from the host. */
  public static byte[] bytes(String tag, long offset, int length) {
    checkArgument(offset % RECORD == 0 && length % RECORD == 0,
        "offset %s and length %s must be multiples of %s", offset, length, RECORD);
    byte[] out = new byte[length];
    String padded = String.format("%-8.8s", tag);
    for (int i = 0; i < length; i += RECORD) {
      String record = padded + String.format("%023d", offset + i) + "\n";
      System.arraycopy(record.getBytes(StandardCharsets.US_ASCII), 0, out, i, RECORD);
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
