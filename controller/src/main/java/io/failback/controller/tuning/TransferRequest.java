package io.failback.controller.tuning;

import io.failback.common.codec.Codec;
import io.failback.common.codec.CompressionMethods;
import io.failback.proto.v1.TransferOptions;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The transfer options an operator asked for, checked: a compression method (empty: the
 * controller chooses), lanes per disk (empty: {@link #DEFAULT_LANES}) and a block size (empty:
 * the VM's, {@link BlockSize#choose}).
 */
public record TransferRequest(Optional<Codec> codec, OptionalInt lanesPerDisk,
    OptionalInt blockSize) {
  /** Lanes per disk unless asked: two keep a disk's reading, hashing and sending overlapped. */
  public static final int DEFAULT_LANES = 2;
  /** Beyond this, lanes add threads and memory without adding speed on any host we measured. */
  public static final int MAX_LANES = 16;

  public static final TransferRequest AUTO = new TransferRequest(Optional.empty(),
      OptionalInt.empty(), OptionalInt.empty());

  /**
   * Checks {@code options}.
   *
   * @throws IllegalArgumentException naming the field that is out of range
   */
  public static TransferRequest of(TransferOptions options) {
    // uint32 fields: a Java int below zero is a number above 2^31.
    long level = Integer.toUnsignedLong(options.getCompressionLevel());
    if (level != 0 && options.getCompression() != io.failback.proto.v1.Compression
        .COMPRESSION_ZSTD) {
      throw new IllegalArgumentException("transfer.compression_level " + level + " needs"
          + " transfer.compression COMPRESSION_ZSTD");
    }
    if (level > Codec.MAX_ZSTD_LEVEL) {
      throw new IllegalArgumentException("transfer.compression_level " + level + " must be 1.."
          + Codec.MAX_ZSTD_LEVEL + " (0 for " + Codec.DEFAULT_ZSTD_LEVEL + ")");
    }
    Optional<Codec> codec = CompressionMethods.codec(options.getCompression(), level);
    if (codec.isEmpty() && options.getCompression() != io.failback.proto.v1.Compression
        .COMPRESSION_UNSPECIFIED) {
      throw new IllegalArgumentException("transfer.compression "
          + options.getCompressionValue() + " is not a compression method");
    }
    long lanes = Integer.toUnsignedLong(options.getLanesPerDisk());
    if (lanes > MAX_LANES) {
      throw new IllegalArgumentException("transfer.lanes_per_disk " + lanes + " must be 1.."
          + MAX_LANES + " (0 for " + DEFAULT_LANES + ")");
    }
    long blockSize = Integer.toUnsignedLong(options.getBlockSize());
    if (blockSize != 0 && !BlockSize.valid(blockSize)) {
      throw new IllegalArgumentException("transfer.block_size " + blockSize + " must be a power"
          + " of two from " + BlockSize.MIN + " to " + BlockSize.MAX + " bytes (0 for the VM's)");
    }
    return new TransferRequest(codec, lanes == 0 ? OptionalInt.empty()
        : OptionalInt.of((int) lanes), blockSize == 0 ? OptionalInt.empty()
        : OptionalInt.of((int) blockSize));
  }

  /** The lanes per disk to use. */
  public int lanes() {
    return lanesPerDisk.orElse(DEFAULT_LANES);
  }
}
