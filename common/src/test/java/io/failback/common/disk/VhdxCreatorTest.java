package io.failback.common.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VhdxCreatorTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} bytes, {1}-byte blocks")
  @CsvSource({
    "67108864, 1048576", // 64 MiB, 1 MiB blocks
    "67108864, 33554432", // 64 MiB, Hyper-V's default 32 MiB blocks
    "10486272, 2097152", // 10 MiB + 512: the last block is partial
    "8589934592, 1048576", // 8 GiB: 8192 payload entries with a sector bitmap entry inside
    "4563402752, 268435456", // 4.25 GiB in 256 MiB blocks: chunk ratio 16, 17 blocks
  })
  void qemuAcceptsWhatWeCreate(long virtualSize, int blockSize) throws Exception {
    Path file = dir.resolve("new.vhdx");

    VhdxCreator.createDynamic(file, virtualSize, blockSize, 512);

    assertTrue(
        Qemu.runOk("qemu-img", "check", "-f", "vhdx", file.toString())
            .contains("No errors were found on the image."));
    JsonObject qemu = Qemu.info(file);
    assertEquals(virtualSize, qemu.get("virtual-size").getAsLong());
    assertEquals(blockSize, qemu.get("cluster-size").getAsInt());
    VhdxInfo info = VhdxInfo.read(file);
    assertEquals(
        new VhdxInfo(VhdxType.DYNAMIC, virtualSize, blockSize, 512, 4096, false, 3 * MIB, MIB),
        info);
    assertEquals(3 * MIB + MIB, Files.size(file));
  }

  @Test
  void qemuWritesAndReadsBackThroughOurBat() throws Exception {
    // 8 GiB of 1 MiB blocks: block 5120 sits after the first sector bitmap entry of the BAT,
    // so a wrong interleave would put it in the wrong place.
    Path file = dir.resolve("rw.vhdx");
    VhdxCreator.createDynamic(file, 8L << 30, MIB, 512);
    List<String> writes =
        List.of("write -P 0xab 0 64k", "write -P 0xcd 5G 64k", "write -P 0xef 8191M 1M");

    Qemu.Result written = Qemu.io(file, writes);
    assertEquals(0, written.exitCode(), written.output());

    List<String> reads =
        Stream.concat(
                writes.stream().map(w -> w.replace("write", "read")),
                Stream.of("read -P 0 64k 1M", "read -P 0 4G 1M"))
            .toList();
    Qemu.Result read = Qemu.io(file, reads);
    assertEquals(0, read.exitCode(), read.output());
    assertFalse(read.output().contains("Pattern verification failed"), read.output());
    assertTrue(
        Qemu.runOk("qemu-img", "check", "-f", "vhdx", file.toString())
            .contains("No errors were found on the image."));
    assertEquals(VhdxType.DYNAMIC, VhdxInfo.read(file).type());
  }

  @Test
  void fourKibLogicalSectors() throws Exception {
    // qemu opens only 512-byte-sector VHDX files ("Operation not supported"), so this shape is
    // checked with our own reader.
    Path file = dir.resolve("4k.vhdx");

    VhdxCreator.createDynamic(file, 64L * MIB, 32 * MIB, 4096);

    VhdxInfo info = VhdxInfo.read(file);
    assertEquals(4096, info.logicalSectorSize());
    assertEquals(4096, info.physicalSectorSize());
    assertEquals(1024, info.chunkRatio()); // 2^23 sectors of 4 KiB per 32 MiB block
    assertEquals(2, info.payloadBlockCount());
  }

  @Test
  void refusesToOverwriteAndLeavesNoTemporaryFile() throws Exception {
    Path file = dir.resolve("taken.vhdx");
    byte[] original = "precious data".getBytes(StandardCharsets.UTF_8);
    Files.write(file, original);

    FileAlreadyExistsException e =
        assertThrows(
            FileAlreadyExistsException.class,
            () -> VhdxCreator.createDynamic(file, 64L * MIB, MIB, 512));

    assertEquals(file + ": refusing to overwrite", e.getMessage());
    assertArrayEquals(original, Files.readAllBytes(file));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList());
    }
  }

  @Test
  void leavesOnlyTheNewFile() throws Exception {
    Path file = dir.resolve("only.vhdx");

    VhdxCreator.createDynamic(file, 64L * MIB, MIB, 512);

    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList());
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "67108864 | 1048576 | 1024 | logical sector size must be 512 or 4096, got 1024",
        "67108864 | 1572864 | 512 | block size must be a power of two from 1 MiB to 256 MiB,"
            + " got 1572864",
        "67108864 | 524288 | 512 | block size must be a power of two from 1 MiB to 256 MiB,"
            + " got 524288",
        "67108864 | 536870912 | 512 | block size must be a power of two from 1 MiB to 256 MiB,"
            + " got 536870912",
        "0 | 1048576 | 512 | virtual size must be positive and at most 64 TiB, got 0",
        "70368744177665 | 1048576 | 512 | virtual size must be positive and at most 64 TiB,"
            + " got 70368744177665",
        "67109376 | 1048576 | 4096 | virtual size 67109376 is not a multiple of the logical"
            + " sector size 4096",
      })
  void rejectsInvalidArguments(long size, int blockSize, int sector, String message) {
    Path file = dir.resolve("bad.vhdx");

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> VhdxCreator.createDynamic(file, size, blockSize, sector));

    assertEquals(message, e.getMessage());
    assertFalse(Files.exists(file));
  }
}
