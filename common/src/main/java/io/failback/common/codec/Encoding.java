package io.failback.common.codec;

/** How a block's bytes are encoded on the wire. */
public enum Encoding {
  /** The block's bytes as they are. */
  RAW,
  /** One LZ4 block (no frame header); the raw length travels beside it. */
  LZ4,
  /** One zstd frame; the raw length travels beside it. */
  ZSTD
}
