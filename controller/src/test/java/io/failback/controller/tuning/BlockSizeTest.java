package io.failback.controller.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class BlockSizeTest {
  @Test
  void askedThenTheVmsThenTheDefault() {
    assertEquals(new BlockSize(4096, "asked for the job"),
        BlockSize.choose(OptionalInt.of(4096), 1 << 20));
    assertEquals(new BlockSize(1 << 20, "the VM's, as a job asked"),
        BlockSize.choose(OptionalInt.empty(), 1 << 20));
    assertEquals(BlockSize.STANDARD, BlockSize.choose(OptionalInt.empty(), 0));
    assertEquals(new BlockSize(16384, "the VM's, chosen by the controller for a slow link"),
        BlockSize.choose(OptionalInt.empty(), 16384, true));
    assertEquals(new BlockSize(4096, "asked for the job"),
        BlockSize.choose(OptionalInt.of(4096), 16384, true));
    // A record that no longer reads (not a block size) is not used.
    assertEquals(BlockSize.STANDARD, BlockSize.choose(OptionalInt.empty(), 3000));
    assertEquals(BlockSize.STANDARD, BlockSize.choose(OptionalInt.empty(), -1));
  }

  @Test
  void aBatchCarries16MiBWhateverTheBlockSize() {
    assertEquals(256, BlockSize.STANDARD.blocksPerBatch());
    assertEquals(4096, new BlockSize(4096, "x").blocksPerBatch());
    assertEquals(16, new BlockSize(1 << 20, "x").blocksPerBatch());
  }

  @Test
  void theDefaultIsStoredAsNothing() {
    assertEquals(0, BlockSize.stored(BlockSize.DEFAULT));
    assertEquals(BlockSize.DEFAULT, BlockSize.fromStored(0));
    assertEquals(16384, BlockSize.fromStored(BlockSize.stored(16384)));
  }

  @Test
  void onlyPowersOfTwoFrom4KiBTo1MiB() {
    assertTrue(BlockSize.valid(4096));
    assertTrue(BlockSize.valid(1 << 20));
    assertFalse(BlockSize.valid(2048));
    assertFalse(BlockSize.valid(2 << 20));
    assertFalse(BlockSize.valid(3 << 12));
    assertThrows(IllegalArgumentException.class, () -> new BlockSize(8192 + 4096, "x"));
    assertEquals("blocks of 16 KiB (asked for the job)",
        new BlockSize(16384, "asked for the job").toString());
    assertEquals("1 MiB", BlockSize.describe(1 << 20));
  }
}
