package io.failback.common.codec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints, per codec, single-thread encode and decode MB/s (of raw bytes) and the wire bytes
 * per raw byte over the 64 KiB blocks of a sample file; not a test. Run by
 * {@code bench/codec-throughput SAMPLE}; the compression policy's steps come from its output.
 */
public final class CodecThroughput {
  /** {@code -Dblock=16384}: the block size to compress by (a transfer's, 4 KiB to 1 MiB). */
  private static final int BLOCK = Integer.getInteger("block", 64 * 1024);

  private CodecThroughput() {}

  public static void main(String[] args) throws IOException {
    byte[] sample = Files.readAllBytes(Path.of(args[0]));
    int blocks = sample.length / BLOCK;
    List<Codec> codecs = new ArrayList<>(List.of(Codec.LZ4));
    for (int level : new int[] {1, 3, 6, 9, 12}) {
      codecs.add(Codec.zstd(level));
    }
    System.out.printf(Locale.ROOT, "sample %s: %d blocks of %d KiB%n", args[0], blocks,
        BLOCK >> 10);
    System.out.printf(Locale.ROOT, "%-14s %12s %12s %10s%n", "codec", "encode MB/s",
        "decode MB/s", "wire/raw");
    for (Codec codec : codecs) {
      BlockCodec blockCodec = new BlockCodec(BLOCK, codec);
      BlockCodec.Encoded[] encoded = new BlockCodec.Encoded[blocks];
      long wire = 0;
      long encodeNanos = 0;
      for (int round = 0; round < 2; round++) {
        wire = 0;
        long start = System.nanoTime();
        for (int i = 0; i < blocks; i++) {
          encoded[i] = blockCodec.encode(sample, i * BLOCK, BLOCK);
          wire += encoded[i].data().length;
        }
        encodeNanos = System.nanoTime() - start;
      }
      long decodeNanos = 0;
      for (int round = 0; round < 2; round++) {
        long start = System.nanoTime();
        for (int i = 0; i < blocks; i++) {
          blockCodec.decode(encoded[i].encoding(), encoded[i].data(), BLOCK);
        }
        decodeNanos = System.nanoTime() - start;
      }
      double raw = (double) blocks * BLOCK;
      System.out.printf(Locale.ROOT, "%-14s %12.0f %12.0f %10.3f%n", codec,
          raw / encodeNanos * 1e3, raw / decodeNanos * 1e3, wire / raw);
    }
  }
}
