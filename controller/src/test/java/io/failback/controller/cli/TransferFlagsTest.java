package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.failback.proto.v1.Compression;
import io.failback.proto.v1.TransferOptions;
import org.junit.jupiter.api.Test;

class TransferFlagsTest {
  @Test
  void eachValue() {
    assertEquals(TransferOptions.getDefaultInstance(), TransferFlags.options("auto", 0));
    assertEquals(Compression.COMPRESSION_NONE, TransferFlags.options("none", 0).getCompression());
    assertEquals(Compression.COMPRESSION_LZ4, TransferFlags.options("LZ4", 0).getCompression());
    assertEquals(TransferOptions.newBuilder().setCompression(Compression.COMPRESSION_ZSTD)
        .setLanesPerDisk(4).build(), TransferFlags.options("zstd", 4));
    assertEquals(TransferOptions.newBuilder().setCompression(Compression.COMPRESSION_ZSTD)
        .setCompressionLevel(9).build(), TransferFlags.options("zstd:9", 0));
  }

  @Test
  void aValueItDoesNotTakeNamesTheFlag() {
    assertEquals("--compression must be auto, none, lz4, zstd or zstd:LEVEL, got 'gzip'",
        assertThrows(IllegalArgumentException.class, () -> TransferFlags.options("gzip", 0))
            .getMessage());
    assertEquals("--compression zstd:LEVEL takes a level 1-19, got 'x'",
        assertThrows(IllegalArgumentException.class, () -> TransferFlags.options("zstd:x", 0))
            .getMessage());
  }

  @Test
  void aBlockSizeIsReadInBinaryUnits() {
    assertEquals(0, TransferFlags.options("auto", 0, "auto").getBlockSize());
    assertEquals(4096, TransferFlags.options("auto", 0, "4096").getBlockSize());
    assertEquals(16384, TransferFlags.options("auto", 0, "16k").getBlockSize());
    assertEquals(65536, TransferFlags.options("auto", 0, "64KiB").getBlockSize());
    assertEquals(1 << 20, TransferFlags.options("auto", 0, "1MiB").getBlockSize());
    assertEquals("--block-size must be a power of two from 4KiB to 1MiB, got '2MiB'",
        assertThrows(IllegalArgumentException.class, () -> TransferFlags.options("auto", 0,
            "2MiB")).getMessage());
    assertEquals("--block-size must be a power of two from 4KiB to 1MiB, got '48k'",
        assertThrows(IllegalArgumentException.class, () -> TransferFlags.options("auto", 0,
            "48k")).getMessage());
    assertEquals("--block-size takes a size such as 4096, 64KiB or 1MiB, got '64 GB'",
        assertThrows(IllegalArgumentException.class, () -> TransferFlags.options("auto", 0,
            "64 GB")).getMessage());
    assertEquals("--block-size takes a size such as 4096, 64KiB or 1MiB, got '99999999999'",
        assertThrows(IllegalArgumentException.class, () -> TransferFlags.options("auto", 0,
            "99999999999")).getMessage());
  }
}
