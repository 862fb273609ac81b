package io.failback.common.codec;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.util.Arrays;
import java.util.Objects;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Compresses blocks with the session's {@link Codec} where it pays and leaves incompressible
 * blocks raw.
 *
 * <p>Threading: thread-safe; the LZ4 compressor and decompressor are stateless, and the zstd
 * contexts and the compression scratch buffer are per thread (zstd's contexts hold their
 * tables from block to block: making them per call costs more than compressing a 64 KiB block).
 *
 * <p>Decoding treats input as untrusted: only bounds-checked decoders are used, always into a
 * fresh array of exactly the expected size (a frame that would decode to more fails instead),
 * and any malformed input or length mismatch is an {@link IllegalArgumentException}.
 */
public final class BlockCodec {
  // Compression is kept only when it saves at least 10 %: below that, the CPU spent
  // decompressing buys too little bandwidth, and random or already-compressed blocks would grow.
  private static final int KEEP_PERCENT = 90;
  private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);
  private static final ThreadLocal<ZstdCompressCtx> ZSTD_OUT =
      ThreadLocal.withInitial(ZstdCompressCtx::new);
  private static final ThreadLocal<ZstdDecompressCtx> ZSTD_IN =
      ThreadLocal.withInitial(ZstdDecompressCtx::new);

  private final LZ4Compressor compressor = LZ4.fastCompressor();
  private final LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();
  private final int maxRawLength;
  private final Codec codec;

  /** An encoded block; {@code data} is owned by the holder and not copied again. */
  public record Encoded(Encoding encoding, byte[] data, int rawLength) {}

  /**
   * A codec that compresses with LZ4, for blocks of at most {@code maxRawLength} bytes, which
   * also bounds the allocation a peer can cause by announcing a large raw length.
   */
  public BlockCodec(int maxRawLength) {
    this(maxRawLength, Codec.LZ4);
  }

  /** A codec that compresses with {@code codec} and decodes whatever it is given. */
  public BlockCodec(int maxRawLength, Codec codec) {
    checkArgument(maxRawLength >= 0, "max raw length %s is negative", maxRawLength);
    this.maxRawLength = maxRawLength;
    this.codec = checkNotNull(codec, "codec");
  }

  /** Encodes {@code src[off, off + len)}, compressed if that saves at least 10 %, else raw. */
  public Encoded encode(byte[] src, int off, int len) {
    Encoded compressed = compress(src, off, len);
    return compressed != null ? compressed
        : new Encoded(Encoding.RAW, Arrays.copyOfRange(src, off, off + len), len);
  }

  /**
   * {@code src[off, off + len)} compressed, or null when compressing saves less than 10 % (or
   * the codec is none): then the caller sends the bytes it has, and nothing was copied.
   */
  public Encoded compress(byte[] src, int off, int len) {
    Objects.checkFromIndexSize(off, len, src.length);
    checkArgument(len <= maxRawLength, "block of %s bytes exceeds the maximum of %s",
        len, maxRawLength);
    int compressed = switch (codec.encoding()) {
      case RAW -> -1;
      case LZ4 -> {
        byte[] scratch = scratch(compressor.maxCompressedLength(len));
        yield compressor.compress(src, off, len, scratch, 0, scratch.length);
      }
      case ZSTD -> {
        byte[] scratch = scratch((int) Zstd.compressBound(len));
        ZstdCompressCtx context = ZSTD_OUT.get().setLevel(codec.level());
        yield context.compressByteArray(scratch, 0, scratch.length, src, off, len);
      }
    };
    if (compressed >= 0 && (long) compressed * 100 <= (long) len * KEEP_PERCENT) {
      return new Encoded(codec.encoding(), Arrays.copyOf(SCRATCH.get(), compressed), len);
    }
    return null;
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
    return switch (encoding) {
      case RAW -> {
        checkArgument(data.length == rawLength,
            "RAW block has %s bytes, expected %s", data.length, rawLength);
        yield data;
      }
      case LZ4 -> decompressLz4(data, rawLength);
      case ZSTD -> decompressZstd(data, rawLength);
    };
  }

  private byte[] decompressLz4(byte[] data, int rawLength) {
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

  private static byte[] decompressZstd(byte[] data, int rawLength) {
    byte[] out = new byte[rawLength];
    int decoded;
    try {
      // Bounded by out: a frame announcing (or holding) more fails as "destination too small".
      decoded = ZSTD_IN.get().decompressByteArray(out, 0, rawLength, data, 0, data.length);
    } catch (ZstdException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException(String.format(
          "malformed zstd frame of %s bytes (expected to decode to %s bytes): %s",
          data.length, rawLength, e.getMessage()), e);
    }
    checkArgument(decoded == rawLength,
        "zstd frame decodes to %s bytes, expected %s", decoded, rawLength);
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
