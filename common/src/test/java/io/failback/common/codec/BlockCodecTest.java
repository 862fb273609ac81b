package io.failback.common.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.codec.BlockCodec.Encoded;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockCodecTest {
  private static final int BLOCK = 1 << 20;
  private final BlockCodec codec = new BlockCodec(BLOCK);

  private static byte[] random(int length, long seed) {
    byte[] data = new byte[length];
    new Random(seed).nextBytes(data);
    return data;
  }

  private static byte[] textLike(int length) {
    byte[] line = "2024-05-01T12:00:00Z INFO sync block written to target disk\n"
        .getBytes(StandardCharsets.US_ASCII);
    byte[] data = new byte[length];
    Random random = new Random(3);
    for (int i = 0; i < length; i++) {
      // Mostly repeated log lines, with some variation so it is not trivially periodic.
      data[i] = random.nextInt(20) == 0 ? (byte) ('0' + random.nextInt(10)) : line[i % line.length];
    }
    return data;
  }

  private Encoded roundTrip(byte[] data) {
    Encoded encoded = codec.encode(data, 0, data.length);
    assertEquals(data.length, encoded.rawLength());
    assertArrayEquals(data, codec.decode(encoded.encoding(), encoded.data(), encoded.rawLength()));
    return encoded;
  }

  @Test
  void zerosAndTextCompressAndRoundTrip() {
    Encoded zeros = roundTrip(new byte[BLOCK]);
    assertEquals(Encoding.LZ4, zeros.encoding());
    assertTrue(zeros.data().length < BLOCK / 100, "zeros: " + zeros.data().length);

    Encoded text = roundTrip(textLike(BLOCK));
    assertEquals(Encoding.LZ4, text.encoding());
    assertTrue(text.data().length < BLOCK / 2, "text: " + text.data().length);
  }

  @Test
  void randomDataStaysRawAndRoundTrips() {
    Encoded encoded = roundTrip(random(BLOCK, 1));
    assertEquals(Encoding.RAW, encoded.encoding());
    assertEquals(BLOCK, encoded.data().length);
  }

  @Test
  void compressionIsKeptOnlyWhenItSavesAtLeastTenPercent() {
    byte[] fivePercentZeros = random(BLOCK, 2);
    Arrays.fill(fivePercentZeros, 0, BLOCK / 20, (byte) 0);
    assertEquals(Encoding.RAW, roundTrip(fivePercentZeros).encoding());

    byte[] twentyPercentZeros = random(BLOCK, 2);
    Arrays.fill(twentyPercentZeros, 0, BLOCK / 5, (byte) 0);
    assertEquals(Encoding.LZ4, roundTrip(twentyPercentZeros).encoding());
  }

  @Test
  void encodesASubRangeAndEmptyBlocks() {
    byte[] data = textLike(10_000);
    Encoded encoded = codec.encode(data, 1000, 4096);
    assertArrayEquals(Arrays.copyOfRange(data, 1000, 5096),
        codec.decode(encoded.encoding(), encoded.data(), 4096));
    assertEquals(0, roundTrip(new byte[0]).rawLength());
    assertThrows(IndexOutOfBoundsException.class, () -> codec.encode(data, 9000, 2000));
    assertThrows(IllegalArgumentException.class, () -> codec.encode(new byte[BLOCK + 1], 0,
        BLOCK + 1));
  }

  @Test
  void malformedLz4IsRejectedAsIllegalArgument() {
    Encoded text = codec.encode(textLike(65536), 0, 65536);
    byte[] truncated = Arrays.copyOf(text.data(), text.data().length / 2);
    byte[] trailing = Arrays.copyOf(text.data(), text.data().length + 7);
    byte[] corrupt = text.data().clone();
    for (int i = 0; i < corrupt.length; i += 97) {
      corrupt[i] = (byte) 0xff;
    }
    for (byte[] bad : new byte[][] {truncated, trailing, corrupt, random(5000, 9), {}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> codec.decode(Encoding.LZ4, bad, 65536));
      assertTrue(e.getMessage().contains("LZ4"), e.getMessage());
    }
  }

  @Test
  void wrongRawLengthIsRejected() {
    Encoded text = codec.encode(textLike(65536), 0, 65536);
    assertThrows(IllegalArgumentException.class,
        () -> codec.decode(Encoding.LZ4, text.data(), 65535));
    IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
        () -> codec.decode(Encoding.LZ4, text.data(), 65537));
    assertTrue(tooLong.getMessage().contains("65537"), tooLong.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> codec.decode(Encoding.RAW, new byte[10], 11));
    assertThrows(IllegalArgumentException.class,
        () -> codec.decode(Encoding.LZ4, text.data(), BLOCK + 1));
    assertThrows(IllegalArgumentException.class,
        () -> codec.decode(Encoding.LZ4, text.data(), -1));
  }

  @Test
  void rawDecodeReturnsTheInputWithoutCopying() {
    byte[] data = random(100, 4);
    assertSame(data, codec.decode(Encoding.RAW, data, 100));
  }

  @Test
  void zstdRoundTripsAndTakesFewerBytesThanLz4OnText() {
    BlockCodec zstd = new BlockCodec(BLOCK, Codec.zstd(3));
    byte[] text = textLike(BLOCK);
    Encoded encoded = zstd.encode(text, 0, text.length);
    assertEquals(Encoding.ZSTD, encoded.encoding());
    assertArrayEquals(text, zstd.decode(Encoding.ZSTD, encoded.data(), BLOCK));
    assertTrue(encoded.data().length < codec.encode(text, 0, text.length).data().length,
        "zstd " + encoded.data().length);
    // Any side decodes any encoding: the codec a side sends with is its own choice.
    assertArrayEquals(text, codec.decode(Encoding.ZSTD, encoded.data(), BLOCK));
    assertEquals(Encoding.RAW, zstd.encode(random(BLOCK, 4), 0, BLOCK).encoding());
    Encoded sub = zstd.encode(text, 1000, 4096);
    assertArrayEquals(Arrays.copyOfRange(text, 1000, 5096),
        zstd.decode(sub.encoding(), sub.data(), 4096));
  }

  @Test
  void aHigherZstdLevelTakesNoMoreBytes() {
    byte[] text = textLike(BLOCK);
    int fast = new BlockCodec(BLOCK, Codec.zstd(1)).encode(text, 0, BLOCK).data().length;
    int strong = new BlockCodec(BLOCK, Codec.zstd(12)).encode(text, 0, BLOCK).data().length;
    assertTrue(strong <= fast, strong + " > " + fast);
  }

  @Test
  void noneSendsEveryBlockRaw() {
    BlockCodec none = new BlockCodec(BLOCK, Codec.NONE);
    Encoded zeros = none.encode(new byte[4096], 0, 4096);
    assertEquals(Encoding.RAW, zeros.encoding());
    assertEquals(4096, zeros.data().length);
  }

  @Test
  void aZstdFrameThatDecodesToMoreOrLessThanAnnouncedIsRefused() {
    BlockCodec zstd = new BlockCodec(BLOCK, Codec.zstd(3));
    Encoded big = zstd.encode(new byte[BLOCK], 0, BLOCK);
    IllegalArgumentException more = assertThrows(IllegalArgumentException.class,
        () -> zstd.decode(Encoding.ZSTD, big.data(), 4096));
    assertTrue(more.getMessage().contains("malformed zstd frame"), more.getMessage());
    Encoded small = zstd.encode(new byte[8192], 0, 8192);
    IllegalArgumentException less = assertThrows(IllegalArgumentException.class,
        () -> zstd.decode(Encoding.ZSTD, small.data(), 16384));
    assertTrue(less.getMessage().contains("expected 16384"), less.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> zstd.decode(Encoding.ZSTD, random(100, 5), 4096));
    assertThrows(IllegalArgumentException.class,
        () -> zstd.decode(Encoding.ZSTD, new byte[0], 4096));
    byte[] cut = Arrays.copyOf(big.data(), big.data().length / 2);
    assertThrows(IllegalArgumentException.class, () -> zstd.decode(Encoding.ZSTD, cut, BLOCK));
  }

  @Test
  void aCodecNamesItsLevelOnlyForZstd() {
    assertEquals("zstd level 19", Codec.zstd(19).toString());
    assertEquals("lz4", Codec.LZ4.toString());
    assertEquals("none", Codec.NONE.toString());
    assertThrows(IllegalArgumentException.class, () -> Codec.zstd(0));
    assertThrows(IllegalArgumentException.class, () -> Codec.zstd(20));
    assertThrows(IllegalArgumentException.class, () -> new Codec(Encoding.LZ4, 3));
  }

  @Test
  void compressGivesNothingWhereItWouldNotPaySoTheCallerSendsWhatItHas() {
    assertEquals(null, codec.compress(random(BLOCK, 6), 0, BLOCK));
    assertEquals(null, new BlockCodec(BLOCK, Codec.NONE).compress(textLike(4096), 0, 4096));
    Encoded text = codec.compress(textLike(BLOCK), 0, BLOCK);
    assertEquals(Encoding.LZ4, text.encoding());
    assertTrue(text.data().length < BLOCK / 2);
  }
}
