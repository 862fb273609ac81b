package io.failback.controller.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class BlockSizePolicyTest {
  private static final Optional<CompressionPolicy.Measured> NONE = Optional.empty();

  @Test
  void aBandwidthLimitOfASlowLinkGivesSmallBlocks() {
    assertEquals(new BlockSize(16384, "chosen for the VM's first copy: the bandwidth limit in"
        + " force, 250 Mbit/s, is a slow link (at most 250 Mbit/s)"),
        BlockSizePolicy.forFirstCopy("hv-01", OptionalLong.of(250_000_000L / 8), NONE, NONE));
    assertEquals(BlockSize.STANDARD, BlockSizePolicy.forFirstCopy("hv-01",
        OptionalLong.of(251_000_000L / 8), NONE, NONE));
  }

  @Test
  void aFailbackTakesSmallBlocksUnderASlowBandwidthLimitOnly() {
    assertEquals(new BlockSize(16384, "chosen for the failback, whose phase 1 compares every"
        + " block: the bandwidth limit in force, 100 Mbit/s, is a slow link (at most"
        + " 250 Mbit/s)"), BlockSizePolicy.forFailback("hv-01", OptionalLong.of(100_000_000L / 8)));
    assertEquals(BlockSize.STANDARD, BlockSizePolicy.forFailback("hv-01",
        OptionalLong.of(251_000_000L / 8)));
    assertEquals(BlockSize.STANDARD, BlockSizePolicy.forFailback("hv-01", OptionalLong.empty()));
  }

  @Test
  void theSlowestLinkMeasuredWhileItHeldTheLanesBackDecides() {
    Optional<CompressionPolicy.Measured> slowUpload =
        Optional.of(new CompressionPolicy.Measured(15e6, true));
    Optional<CompressionPolicy.Measured> slowerDownload =
        Optional.of(new CompressionPolicy.Measured(10e6, true));
    assertEquals("chosen for the VM's first copy: host hv-01's upload link measured at"
        + " 120 Mbit/s, is a slow link (at most 250 Mbit/s)", BlockSizePolicy.forFirstCopy(
            "hv-01", OptionalLong.empty(), slowUpload, NONE).because());
    assertEquals("chosen for the VM's first copy: host hv-01's link measured at 80 Mbit/s, is"
        + " a slow link (at most 250 Mbit/s)", BlockSizePolicy.forFirstCopy("hv-01",
            OptionalLong.of(1_000_000_000L), slowUpload, slowerDownload).because());
    // A rate the transfer's own CPU set says the link is faster than that: nothing known.
    assertEquals(BlockSize.STANDARD, BlockSizePolicy.forFirstCopy("hv-01", OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(10e6, false)), NONE));
    assertEquals(BlockSize.STANDARD, BlockSizePolicy.forFirstCopy("hv-01", OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(125e6, true)), NONE));
  }

  @Test
  void nothingKnownKeepsTheDefault() {
    assertEquals(BlockSize.STANDARD,
        BlockSizePolicy.forFirstCopy("hv-01", OptionalLong.empty(), NONE, NONE));
  }
}
