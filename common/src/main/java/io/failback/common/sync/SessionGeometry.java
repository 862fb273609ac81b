package io.failback.common.sync;

import io.failback.common.codec.Codec;
import io.failback.common.codec.CompressionMethods;
import io.failback.proto.v1.Compression;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.util.Optional;

/**
 * Where blocks, batches and lanes of a session lie on the disk, derived from its parameters.
 *
 * <p>Lanes are contiguous block ranges whose boundaries fall on whole batches, so a lane's
 * watermark is always a batch boundary and the last batch of a lane is the only short one.
 */
public final class SessionGeometry {
  /** The most batches one batch end may close ({@code batches_per_end}). */
  public static final int MAX_BATCHES_PER_END = 65536;
  /**
   * The block sync protocol revision this build speaks ({@code Register.sync_revision}): 2
   * adds {@code batches_per_end}, 3 allows it in DELTA sessions (runs of zeros), 4 takes
   * warm-up sessions ({@code StartSync.warm_up}).
   */
  public static final int PROTOCOL_REVISION = 4;
  private final SyncParameters parameters;
  private final long blockCount;
  private final long batchesTotal;
  private final Codec codec;

  private SessionGeometry(SyncParameters parameters, Codec codec) {
    this.parameters = parameters;
    this.codec = codec;
    this.blockCount = (parameters.getDiskSize() + parameters.getBlockSize() - 1)
        / parameters.getBlockSize();
    this.batchesTotal = (blockCount + parameters.getBlocksPerBatch() - 1)
        / parameters.getBlocksPerBatch();
  }

  /**
   * Validates {@code parameters} against a disk's sector size.
   *
   * @throws SyncException naming the first parameter that is out of range
   */
  public static SessionGeometry of(SyncParameters parameters, int logicalSectorSize)
      throws SyncException {
    if (parameters.getSessionId().isEmpty()) {
      throw SyncException.invalid("session_id is empty");
    }
    if (parameters.getMode() != SyncMode.DELTA && parameters.getMode() != SyncMode.FULL
        && parameters.getMode() != SyncMode.TRACKED) {
      throw SyncException.invalid("mode must be DELTA, FULL or TRACKED, got %s",
          parameters.getMode());
    }
    if (parameters.getMode() == SyncMode.TRACKED && parameters.getDigestSet().isEmpty()) {
      throw SyncException.invalid("a TRACKED session needs the digest_set of an earlier one");
    }
    if (parameters.getSourceDigestsRecorded() && (parameters.getMode() != SyncMode.DELTA
        || parameters.getDigestSet().isEmpty())) {
      throw SyncException.invalid("source_digests_recorded needs a DELTA session with the"
          + " digest_set of an earlier one");
    }
    int blockSize = parameters.getBlockSize();
    if (blockSize < logicalSectorSize || blockSize % logicalSectorSize != 0
        || blockSize > 16 << 20) {
      throw SyncException.invalid("block_size %d must be a multiple of the %d-byte sector"
          + " size and at most 16 MiB", blockSize, logicalSectorSize);
    }
    if (parameters.getBlocksPerBatch() < 1 || parameters.getBlocksPerBatch() > 65536) {
      throw SyncException.invalid("blocks_per_batch %d must be 1..65536",
          parameters.getBlocksPerBatch());
    }
    if (parameters.getDiskSize() <= 0 || parameters.getDiskSize() % logicalSectorSize != 0) {
      throw SyncException.invalid("disk_size %d must be a positive multiple of %d",
          parameters.getDiskSize(), logicalSectorSize);
    }
    if (parameters.getLaneCount() < 1 || parameters.getLaneCount() > 64) {
      throw SyncException.invalid("lane_count %d must be 1..64", parameters.getLaneCount());
    }
    if (parameters.getWindowBatches() < 1 || parameters.getWindowBatches() > 64) {
      throw SyncException.invalid("window_batches %d must be 1..64",
          parameters.getWindowBatches());
    }
    long perEnd = Integer.toUnsignedLong(parameters.getBatchesPerEnd());
    if (perEnd > MAX_BATCHES_PER_END
        || perEnd * parameters.getBlocksPerBatch() > Integer.MAX_VALUE) {
      throw SyncException.invalid("batches_per_end %d must be 0..%d and close at most %d"
          + " blocks (%d per batch)", perEnd, MAX_BATCHES_PER_END, Integer.MAX_VALUE,
          parameters.getBlocksPerBatch());
    }
    return new SessionGeometry(parameters, codec(parameters));
  }

  /** What the session's source compresses with; refuses an unknown method or a bad level. */
  private static Codec codec(SyncParameters parameters) throws SyncException {
    long level = Integer.toUnsignedLong(parameters.getCompressionLevel());
    if (level != 0 && parameters.getCompression() != Compression.COMPRESSION_ZSTD) {
      throw SyncException.invalid("compression_level %d is for COMPRESSION_ZSTD only, the"
          + " session has %s", level, parameters.getCompression());
    }
    if (level > Codec.MAX_ZSTD_LEVEL) {
      throw SyncException.invalid("compression_level %d must be 1..%d (0 for %d)", level,
          Codec.MAX_ZSTD_LEVEL, Codec.DEFAULT_ZSTD_LEVEL);
    }
    if (parameters.getCompression() == Compression.COMPRESSION_UNSPECIFIED) {
      return parameters.getCompress() ? Codec.LZ4 : Codec.NONE;
    }
    Optional<Codec> codec = CompressionMethods.codec(parameters.getCompression(), level);
    if (codec.isEmpty()) {
      throw SyncException.invalid("compression %s is not one this side knows",
          parameters.getCompressionValue());
    }
    return codec.get();
  }

  /** What the source compresses blocks with; the target takes that or raw blocks only. */
  public Codec codec() {
    return codec;
  }

  public SyncParameters parameters() {
    return parameters;
  }

  public int blockSize() {
    return parameters.getBlockSize();
  }

  public int blocksPerBatch() {
    return parameters.getBlocksPerBatch();
  }

  public long blockCount() {
    return blockCount;
  }

  public int laneCount() {
    return parameters.getLaneCount();
  }

  /** Bytes in block {@code index}: a full block except possibly the disk's last one. */
  public int blockLength(long index) {
    long start = index * parameters.getBlockSize();
    return (int) Math.min(parameters.getBlockSize(), parameters.getDiskSize() - start);
  }

  public long offsetOf(long block) {
    return block * parameters.getBlockSize();
  }

  /** First block of {@code lane}. */
  public long laneFirst(int lane) {
    long batchesPerLane = batchesTotal / laneCount();
    long extra = batchesTotal % laneCount();
    long firstBatch = lane * batchesPerLane + Math.min(lane, extra);
    return Math.min(blockCount, firstBatch * parameters.getBlocksPerBatch());
  }

  /** First block after {@code lane}. */
  public long laneEnd(int lane) {
    return lane == laneCount() - 1 ? blockCount : laneFirst(lane + 1);
  }

  /** Blocks in the batch of {@code lane} starting at {@code first}. */
  public int batchLength(int lane, long first) {
    return (int) Math.min(parameters.getBlocksPerBatch(), laneEnd(lane) - first);
  }

  /** Whether {@code block} is a batch boundary of {@code lane} (or its end). */
  public boolean isBatchStart(int lane, long block) {
    return block >= laneFirst(lane) && block <= laneEnd(lane)
        && ((block - laneFirst(lane)) % parameters.getBlocksPerBatch() == 0
        || block == laneEnd(lane));
  }
}
