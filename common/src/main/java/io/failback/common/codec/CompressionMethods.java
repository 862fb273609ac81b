package io.failback.common.codec;

import io.failback.proto.v1.Compression;
import java.util.Optional;

/**
 * The wire's {@link Compression} methods and the {@link Codec}s they name, both ways. The
 * callers check levels against their own fields first, and name those fields in their errors.
 */
public final class CompressionMethods {
  private CompressionMethods() {}

  /**
   * The codec {@code method} names at zstd {@code level} (0 for the default); empty for
   * COMPRESSION_UNSPECIFIED and for a method this side does not know.
   *
   * @throws IllegalArgumentException if the level is outside 0..{@value Codec#MAX_ZSTD_LEVEL}
   */
  public static Optional<Codec> codec(Compression method, long level) {
    return switch (method) {
      case COMPRESSION_NONE -> Optional.of(Codec.NONE);
      case COMPRESSION_LZ4 -> Optional.of(Codec.LZ4);
      case COMPRESSION_ZSTD -> Optional.of(Codec.zstd(level == 0 ? Codec.DEFAULT_ZSTD_LEVEL
          : (int) Math.min(level, Integer.MAX_VALUE)));
      default -> Optional.empty();
    };
  }

  /** The method that names {@code codec} on the wire (its level goes beside it). */
  public static Compression method(Codec codec) {
    return switch (codec.encoding()) {
      case RAW -> Compression.COMPRESSION_NONE;
      case LZ4 -> Compression.COMPRESSION_LZ4;
      case ZSTD -> Compression.COMPRESSION_ZSTD;
    };
  }
}
