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
}
