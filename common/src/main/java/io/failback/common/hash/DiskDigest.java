package io.failback.common.hash;

import static com.google.common.base.Preconditions.checkArgument;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * The whole-disk digest both ends compute for end-to-end verification, in constant memory.
 *
 * <p>Format (version 1). The disk is split into lanes (contiguous block ranges) and each lane
 * into batches of consecutive blocks. A lane keeps a 32-byte chain:
 *
 * <pre>
 * chain_0 = SHA-256("failback-disk-digest-v1" || algorithm name (ASCII)
 *                   || blockSize (u32 LE) || laneFirstBlock (u64 LE))
 * chain_i = SHA-256(chain_{i-1} || firstBlockIndex (u64 LE) || blockCount (u32 LE)
 *                   || block digests of the batch, in block order)
 * disk    = SHA-256(final chain of lane 0 || final chain of lane 1 || ...)
 * </pre>
 *
 * <p>The chain commits to batch boundaries, so both ends must batch identically (the session
 * fixes blocksPerBatch and the lane ranges). Because the chain is only 32 bytes, it is persisted
 * with each durable watermark and a lane resumes from there; see {@link LaneDigest#resume}.
 */
public final class DiskDigest {
  /** Length in bytes of a lane chain and of the whole-disk digest. */
  public static final int CHAIN_LENGTH = 32;

  static final byte[] DOMAIN = "failback-disk-digest-v1".getBytes(StandardCharsets.US_ASCII);

  private DiskDigest() {}

  /** The whole-disk digest: SHA-256 over the final lane chains in lane order. */
  public static byte[] combine(List<byte[]> laneChains) {
    checkArgument(!laneChains.isEmpty(), "a disk has at least one lane");
    MessageDigest sha = DigestAlgorithm.newSha256();
    for (int lane = 0; lane < laneChains.size(); lane++) {
      byte[] chain = laneChains.get(lane);
      checkArgument(chain.length == CHAIN_LENGTH,
          "lane %s chain has %s bytes, expected %s", lane, chain.length, CHAIN_LENGTH);
      sha.update(chain);
    }
    return sha.digest();
  }

  /** Lower-case hexadecimal form of {@code bytes}, for logs and operator output. */
  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
