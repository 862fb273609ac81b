package io.failback.common.codec;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * What a source compresses blocks with: nothing, LZ4 (cheap, for fast links) or zstd at a level
 * (more CPU for fewer bytes, for slow links).
 *
 * @param encoding {@link Encoding#RAW} for no compression
 * @param level zstd's level, 1..{@value #MAX_ZSTD_LEVEL}; 0 otherwise
 */
public record Codec(Encoding encoding, int level) {
  public static final int DEFAULT_ZSTD_LEVEL = 3;
  /**
   * The highest level offered: above it zstd compresses a block at a few MB/s, slower than any
   * link a failback crosses, for a few per cent fewer bytes.
   */
  public static final int MAX_ZSTD_LEVEL = 19;

  public static final Codec NONE = new Codec(Encoding.RAW, 0);
  public static final Codec LZ4 = new Codec(Encoding.LZ4, 0);

  public Codec {
    checkArgument(encoding != null, "encoding is null");
    checkArgument(encoding == Encoding.ZSTD ? level >= 1 && level <= MAX_ZSTD_LEVEL : level == 0,
        "%s takes no level %s", encoding, level);
  }

  /** zstd at {@code level}, 1..{@value #MAX_ZSTD_LEVEL}. */
  public static Codec zstd(int level) {
    checkArgument(level >= 1 && level <= MAX_ZSTD_LEVEL,
        "zstd level %s is outside 1..%s", level, MAX_ZSTD_LEVEL);
    return new Codec(Encoding.ZSTD, level);
  }

  /** "none", "lz4", "zstd level 3". */
  @Override
  public String toString() {
    return switch (encoding) {
      case RAW -> "none";
      case LZ4 -> "lz4";
      case ZSTD -> "zstd level " + level;
    };
  }
}
