package io.failback.common.hash;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;
import static com.google.common.base.Preconditions.checkState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/**
 * The running digest chain of one lane, in the format described on {@link DiskDigest}.
 *
 * <p>Threading: not thread-safe. Batches of a lane must be added in block order anyway, so
 * callers feed a lane from one thread at a time.
 *
 * <p>Failure: a rejected {@link #addBatch} leaves the chain and {@link #nextBlock()} unchanged.
 */
public final class LaneDigest {
  private final DigestAlgorithm algorithm;
  private final MessageDigest sha = DigestAlgorithm.newSha256();
  private final ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
  private byte[] chain;
  private long nextBlock;

  /** Starts a lane whose first block is {@code laneFirstBlock}. */
  public LaneDigest(DigestAlgorithm algorithm, int blockSize, long laneFirstBlock) {
    checkNotNull(algorithm, "algorithm");
    checkArgument(blockSize > 0, "block size %s is not positive", blockSize);
    checkArgument(laneFirstBlock >= 0, "lane first block %s is negative", laneFirstBlock);
    this.algorithm = algorithm;
    this.nextBlock = laneFirstBlock;
    sha.update(DiskDigest.DOMAIN);
    sha.update(algorithm.name().getBytes(StandardCharsets.US_ASCII));
    header.clear();
    header.putInt(blockSize).putLong(laneFirstBlock);
    sha.update(header.array(), 0, 12);
    this.chain = sha.digest();
  }

  private LaneDigest(DigestAlgorithm algorithm, byte[] chain, long nextBlock) {
    this.algorithm = algorithm;
    this.chain = chain;
    this.nextBlock = nextBlock;
  }

  /**
   * Continues a lane from a persisted watermark: {@code chain} as returned by {@link #chain()}
   * when {@link #nextBlock()} was {@code nextBlock}.
   */
  public static LaneDigest resume(byte[] chain, DigestAlgorithm algorithm, long nextBlock) {
    checkNotNull(algorithm, "algorithm");
    checkArgument(chain.length == DiskDigest.CHAIN_LENGTH,
        "chain has %s bytes, expected %s", chain.length, DiskDigest.CHAIN_LENGTH);
    checkArgument(nextBlock >= 0, "next block %s is negative", nextBlock);
    return new LaneDigest(algorithm, chain.clone(), nextBlock);
  }

  /** Folds in the digests of blocks {@code firstBlock, firstBlock + 1, ...}. */
  public void addBatch(long firstBlock, byte[][] digests) {
    addBatch(firstBlock, Arrays.asList(digests));
  }

  /**
   * Folds in the digests of blocks {@code firstBlock, firstBlock + 1, ...}.
   *
   * @throws IllegalStateException if {@code firstBlock} is not {@link #nextBlock()}
   * @throws IllegalArgumentException if the batch is empty or a digest has the wrong length
   */
  public void addBatch(long firstBlock, List<byte[]> digests) {
    checkState(firstBlock == nextBlock,
        "batches out of order: expected a batch starting at block %s, got block %s",
        nextBlock, firstBlock);
    checkArgument(!digests.isEmpty(), "empty batch at block %s", firstBlock);
    // Validate everything before touching the hash, so a bad batch leaves the chain intact.
    for (int i = 0; i < digests.size(); i++) {
      int length = digests.get(i).length;
      checkArgument(length == algorithm.digestLength(), "digest of block %s has %s bytes, "
          + "expected %s for %s", firstBlock + i, length, algorithm.digestLength(), algorithm);
    }
    long end = Math.addExact(firstBlock, digests.size());
    sha.update(chain);
    header.clear();
    header.putLong(firstBlock).putInt(digests.size());
    sha.update(header.array(), 0, 12);
    for (byte[] digest : digests) {
      sha.update(digest);
    }
    chain = sha.digest();
    nextBlock = end;
  }

  /** The current chain value; persist it together with {@link #nextBlock()}. */
  public byte[] chain() {
    return chain.clone();
  }

  /** The first block of the next batch this lane accepts. */
  public long nextBlock() {
    return nextBlock;
  }

  /** The block digest algorithm whose digests this lane accepts. */
  public DigestAlgorithm algorithm() {
    return algorithm;
  }
}
