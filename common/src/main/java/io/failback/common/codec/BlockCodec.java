package io.failback.common.codec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.Arrays;
import java.util.Objects;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Compresses blocks with LZ4 where it pays and leaves incompressible blocks raw.
 *
 * <p>Threading: thread-safe; the LZ4 compressor and decompressor are stateless, and the
 * compression scratch buffer is per thread (as large as the largest block that thread encoded).
 *
 * <p>Decoding treats input as untrusted: only the bounds-checked safe decompressor is used, always
 * into a fresh array of exactly the expected size, and any malformed input or length mismatch is
 * an {@link IllegalArgumentException}.
 */
public final class BlockCodec {
  // LZ4 is kept only when it saves at least 10 %: below that, the CPU spent decompressing buys
  // too little bandwidth, and random or already-compressed blocks would only grow.
  private static final int KEEP_PERCENT = 90;
  private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

  private final LZ4Compressor compressor = LZ4.fastCompressor();
  private final LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();
  private final int maxRawLength;

  /** An encoded block; {@code data} is owned by the holder and not copied again. */
  public record Encoded(Encoding encoding, byte[] data, int rawLength) {}

  /**
   * Creates a codec for blocks of at most {@code maxRawLength} bytes, which also bounds the
   * allocation a peer can cause by announcing a large raw length.
   */
  public BlockCodec(int maxRawLength) {
    checkArgument(maxRawLength >= 0, "max raw length %s is negative", maxRawLength);
    this.maxRawLength = maxRawLength;
  }

  /** Encodes {@code src[off, off + len)}, as LZ4 if that saves at least 10 %, else raw. */
  public Encoded encode(byte[] src, int off, int len) {
    Objects.checkFromIndexSize(off, len, src.length);
    checkArgument(len <= maxRawLength, "block of %s bytes exceeds the maximum of %s",
        len, maxRawLength);
    byte[] scratch = scratch(compressor.maxCompressedLength(len));
    int compressed = compressor.compress(src, off, len, scratch, 0, scratch.length);
    if ((long) compressed * 100 <= (long) len * KEEP_PERCENT) {
      return new Encoded(Encoding.LZ4, Arrays.copyOf(scratch, compressed), len);
    }
    return new Encoded(Encoding.RAW, Arrays.copyOfRange(src, off, off + len), len);
  }

  /**
   * Decodes a block expected to be {@code rawLength} bytes; for RAW returns {@code data} itself.
   *
   * @throws IllegalArgumentException if the data is malformed or does not decode to exactly
   *     {@code rawLength} bytes, or {@code rawLength} is negative or above the maximum
   */
  public byte[] decode(Encoding encoding, byte[] data, int rawLength) {
    checkNotNull(encoding, "encoding");
    checkNotNull(data, "data");
    checkArgument(rawLength >= 0 && rawLength <= maxRawLength,
        "raw length %s outside [0, %s]", rawLength, maxRawLength);
    switch (encoding) {
      case RAW:
        checkArgument(data.length == rawLength,
            "RAW block has %s bytes, expected %s", data.length, rawLength);
        return data;
      case LZ4:
        return decompress(data, rawLength);
      default:
        throw new IllegalArgumentException("unknown encoding " + encoding);
    }
  }

  private byte[] decompress(byte[] data, int rawLength) {
    // A fresh output array: reused output buffers are what turned LZ4 decoder bugs into
    // information leaks (CVE-2025-66566), and the caller keeps the result anyway.
    byte[] out = new byte[rawLength];
    int decoded;
    try {
      decoded = decompressor.decompress(data, 0, data.length, out, 0, rawLength);
    } catch (LZ4Exception | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException(String.format(
          "malformed LZ4 block of %s bytes (expected to decode to %s bytes): %s",
          data.length, rawLength, e.getMessage()), e);
    }
    checkArgument(decoded == rawLength,
        "LZ4 block decodes to %s bytes, expected %s", decoded, rawLength);
    return out;
  }

  private static byte[] scratch(int length) {
    byte[] scratch = SCRATCH.get();
    if (scratch.length < length) {
      scratch = new byte[length];
      SCRATCH.set(scratch);
    }
    return scratch;
  }
}
