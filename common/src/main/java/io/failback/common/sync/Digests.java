package io.failback.common.sync;

import io.failback.common.hash.DigestAlgorithm;
import java.util.Arrays;

/** Conversions between the wire's digest fields and the hash package. */
public final class Digests {
  private Digests() {}

  /** The hash for a wire value; INVALID_ARGUMENT-style failure for an unset or unknown one. */
  public static DigestAlgorithm algorithm(io.failback.proto.v1.DigestAlgorithm wire)
      throws SyncException {
    return switch (wire) {
      case XXH3_128 -> DigestAlgorithm.XXH3_128;
      case SHA_256 -> DigestAlgorithm.SHA_256;
      default -> throw SyncException.invalid("digest_algorithm must be XXH3_128 or SHA_256,"
          + " got %s", wire);
    };
  }

  /** Digest {@code i} of a packed digest array. */
  static byte[] at(byte[] packed, int i, int length) {
    return Arrays.copyOfRange(packed, i * length, (i + 1) * length);
  }

  /** The {@code count} digests of {@code length} bytes packed in {@code packed}, in order. */
  static byte[][] split(byte[] packed, int count, int length) {
    byte[][] digests = new byte[count][];
    for (int i = 0; i < count; i++) {
      digests[i] = at(packed, i, length);
    }
    return digests;
  }

  static boolean equalAt(byte[] packed, int i, byte[] digest) {
    int length = digest.length;
    return Arrays.equals(packed, i * length, (i + 1) * length, digest, 0, length);
  }
}
