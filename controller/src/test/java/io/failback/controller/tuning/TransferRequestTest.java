package io.failback.controller.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.failback.common.codec.Codec;
import io.failback.proto.v1.Compression;
import io.failback.proto.v1.TransferOptions;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class TransferRequestTest {
  @Test
  void unsetIsLeftToTheController() {
    assertEquals(TransferRequest.AUTO, TransferRequest.of(TransferOptions.getDefaultInstance()));
    assertEquals(TransferRequest.DEFAULT_LANES, TransferRequest.AUTO.lanes());
  }

  @Test
  void eachMethodAndLanes() {
    assertEquals(Optional.of(Codec.NONE), TransferRequest.of(TransferOptions.newBuilder()
        .setCompression(Compression.COMPRESSION_NONE).build()).codec());
    assertEquals(Optional.of(Codec.LZ4), TransferRequest.of(TransferOptions.newBuilder()
        .setCompression(Compression.COMPRESSION_LZ4).build()).codec());
    assertEquals(Optional.of(Codec.zstd(3)), TransferRequest.of(TransferOptions.newBuilder()
        .setCompression(Compression.COMPRESSION_ZSTD).build()).codec());
    TransferRequest strong = TransferRequest.of(TransferOptions.newBuilder()
        .setCompression(Compression.COMPRESSION_ZSTD).setCompressionLevel(19)
        .setLanesPerDisk(16).build());
    assertEquals(Optional.of(Codec.zstd(19)), strong.codec());
    assertEquals(OptionalInt.of(16), strong.lanesPerDisk());
    assertEquals(1, TransferRequest.of(TransferOptions.newBuilder().setLanesPerDisk(1).build())
        .lanes());
  }

  @Test
  void outOfRangeIsRefusedNamingTheField() {
    assertEquals("transfer.compression 9 is not a compression method",
        assertThrows(IllegalArgumentException.class, () -> TransferRequest.of(TransferOptions
            .newBuilder().setCompressionValue(9).build())).getMessage());
    assertEquals("transfer.compression_level 5 needs transfer.compression COMPRESSION_ZSTD",
        assertThrows(IllegalArgumentException.class, () -> TransferRequest.of(TransferOptions
            .newBuilder().setCompressionLevel(5).build())).getMessage());
    assertEquals("transfer.lanes_per_disk 4294967295 must be 1..16 (0 for 2)",
        assertThrows(IllegalArgumentException.class, () -> TransferRequest.of(TransferOptions
            .newBuilder().setLanesPerDisk(-1).build())).getMessage());
    assertEquals("transfer.compression_level 4294967295 must be 1..19 (0 for 3)",
        assertThrows(IllegalArgumentException.class, () -> TransferRequest.of(TransferOptions
            .newBuilder().setCompression(Compression.COMPRESSION_ZSTD).setCompressionLevel(-1)
            .build())).getMessage());
    assertEquals("transfer.lanes_per_disk 64 must be 1..16 (0 for 2)",
        assertThrows(IllegalArgumentException.class, () -> TransferRequest.of(TransferOptions
            .newBuilder().setLanesPerDisk(64).build())).getMessage());
  }

  @Test
  void aBlockSizeIsAPowerOfTwoFrom4KiBTo1MiB() throws Exception {
    assertEquals(java.util.OptionalInt.empty(), TransferRequest.of(TransferOptions
        .getDefaultInstance()).blockSize());
    for (int bytes : new int[] {4096, 16384, 65536, 1 << 20}) {
      assertEquals(java.util.OptionalInt.of(bytes), TransferRequest.of(TransferOptions
          .newBuilder().setBlockSize(bytes).build()).blockSize());
    }
    for (int bytes : new int[] {512, 2048, 3 << 12, 2 << 20, -1}) {
      assertEquals("transfer.block_size " + Integer.toUnsignedLong(bytes) + " must be a power"
          + " of two from 4096 to 1048576 bytes (0 for the VM's)",
          assertThrows(IllegalArgumentException.class, () -> TransferRequest.of(TransferOptions
              .newBuilder().setBlockSize(bytes).build())).getMessage());
    }
  }
}
