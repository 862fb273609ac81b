package io.failback.common.hash;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import net.openhft.hashing.LongTupleHashFunction;

/**
 * Computes block digests for one sync session.
 *
 * <p>Output: {@link DigestAlgorithm#XXH3_128} gives 16 bytes, the low 64 bits of the XXH3-128
 * value then the high 64 bits, each little-endian (the reverse of xxHash's canonical big-endian
 * form); {@link DigestAlgorithm#SHA_256} gives the standard 32-byte digest. The seed applies to
 * XXH3-128 only: SHA-256 is collision-resistant unkeyed, and staying unkeyed keeps its digests
 * comparable with standard tools.
 *
 * <p>Threading: instances are immutable apart from a concurrent cache and are meant to be shared
 * by all threads of a session; per-thread scratch state lives in thread-locals.
 */
public final class BlockDigester {
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final ThreadLocal<MessageDigest> SHA_256 =
      ThreadLocal.withInitial(DigestAlgorithm::newSha256);
  // zero-allocation-hashing reads direct buffers only with --add-exports on Java 17 (PERF.md),
  // so direct buffers are copied into this per-thread heap array first.
  private static final ThreadLocal<byte[]> COPY = ThreadLocal.withInitial(() -> new byte[0]);

  private final DigestAlgorithm algorithm;
  private final LongTupleHashFunction xxh3;
  private final ConcurrentMap<Integer, byte[]> zeroDigests = new ConcurrentHashMap<>();

  /** Creates a digester; {@code seed} should be fresh random per session. */
  public BlockDigester(DigestAlgorithm algorithm, long seed) {
    this.algorithm = checkNotNull(algorithm, "algorithm");
    this.xxh3 = algorithm == DigestAlgorithm.XXH3_128 ? LongTupleHashFunction.xx128(seed) : null;
  }

  /** The algorithm this digester computes. */
  public DigestAlgorithm algorithm() {
    return algorithm;
  }

  /** Digest length in bytes: 16 for XXH3-128, 32 for SHA-256. */
  public int digestLength() {
    return algorithm.digestLength();
  }

  /** Digest of {@code data[off, off + len)}. */
  public byte[] digest(byte[] data, int off, int len) {
    Objects.checkFromIndexSize(off, len, data.length);
    if (xxh3 == null) {
      MessageDigest sha = SHA_256.get();
      sha.update(data, off, len);
      return sha.digest();
    }
    long[] result = new long[2];
    xxh3.hashBytes(data, off, len, result);
    byte[] out = new byte[16];
    LONG_LE.set(out, 0, result[0]);
    LONG_LE.set(out, 8, result[1]);
    return out;
  }

  /**
   * Digest of the bytes between the buffer's position and limit, which are left unchanged.
   *
   * <p>Direct buffers cost an extra copy for XXH3-128 (into a per-thread array that stays as large
   * as the largest block seen); read blocks into heap buffers where throughput matters.
   */
  public byte[] digest(ByteBuffer buffer) {
    int position = buffer.position();
    int length = buffer.remaining();
    if (buffer.hasArray()) {
      return digest(buffer.array(), buffer.arrayOffset() + position, length);
    }
    if (xxh3 == null) {
      MessageDigest sha = SHA_256.get();
      sha.update(buffer.duplicate());
      return sha.digest();
    }
    byte[] copy = COPY.get();
    if (copy.length < length) {
      copy = new byte[length];
      COPY.set(copy);
    }
    buffer.get(position, copy, 0, length);
    return digest(copy, 0, length);
  }

  /** Digest of {@code blockSize} zero bytes, computed once per size so zero blocks cost nothing. */
  public byte[] zeroBlockDigest(int blockSize) {
    checkArgument(blockSize >= 0, "block size %s is negative", blockSize);
    // Cloned so a caller that modifies its copy cannot corrupt the cache.
    return zeroDigests.computeIfAbsent(blockSize, n -> digest(new byte[n], 0, n)).clone();
  }
}
