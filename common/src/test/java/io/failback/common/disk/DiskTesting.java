package io.failback.common.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** Helpers for tests on real, small, sparse disk images. */
final class DiskTesting {
  static final int KIB = 1024;
  static final int MIB = 1024 * KIB;

  private DiskTesting() {}

  /** Allocated 512-byte units of a file, from {@code stat -c %b} (Java has no st_blocks). */
  static long allocatedBlocks(Path file) throws IOException, InterruptedException {
    Process stat = new ProcessBuilder("stat", "-c", "%b", file.toString()).start();
    String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertEquals(0, stat.waitFor(), "stat -c %b " + file);
    return Long.parseLong(out.trim());
  }

  /** A hex SHA-256 of a whole file, to show that a refused operation changed nothing. */
  static String sha256(Path file) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      try (var in = Files.newInputStream(file)) {
        byte[] buffer = new byte[MIB];
        for (int n; (n = in.read(buffer)) > 0; ) {
          digest.update(buffer, 0, n);
        }
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Reads {@code length} bytes at {@code offset} from a device. */
  static byte[] read(BlockDevice device, long offset, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    device.read(offset, buffer);
    assertEquals(length, buffer.position(), "read must fill the buffer and advance it");
    return buffer.array();
  }

  /** Writes {@code bytes} at {@code offset} to a device. */
  static void write(BlockDevice device, long offset, byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    device.write(offset, buffer);
    assertEquals(bytes.length, buffer.position(), "write must consume the buffer");
  }

  /** {@code length} bytes of {@code value}. */
  static byte[] filled(int length, int value) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  /** Asserts two devices read the same, 1 MiB at a time, naming the first differing offset. */
  static void assertSameContent(BlockDevice expected, BlockDevice actual) throws IOException {
    assertEquals(expected.size(), actual.size(), "size");
    for (long offset = 0; offset < expected.size(); offset += MIB) {
      int length = (int) Math.min(MIB, expected.size() - offset);
      byte[] want = read(expected, offset, length);
      byte[] got = read(actual, offset, length);
      int mismatch = Arrays.mismatch(want, got);
      if (mismatch >= 0) {
        fail("devices differ at byte " + (offset + mismatch) + " (" + actual + ")");
      }
    }
  }

  /** Asserts a device reads the same as a raw file, 1 MiB at a time. */
  static void assertSameContent(Path raw, BlockDevice actual) throws IOException {
    try (BlockDevice expected = RawImageDevice.open(raw, false)) {
      assertSameContent(expected, actual);
    }
  }
}
