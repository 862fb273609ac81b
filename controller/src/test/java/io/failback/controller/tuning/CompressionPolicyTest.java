package io.failback.controller.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.common.codec.Codec;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CompressionPolicyTest {
  private static final long MBIT = 1_000_000 / 8;

  private static TransferSettings choose(OptionalLong limit, Optional<CompressionPolicy.Measured>
      measured) {
    return CompressionPolicy.choose("hv-01", limit, measured, 2);
  }

  @Test
  void withNothingKnownLz4() {
    TransferSettings settings = choose(OptionalLong.empty(), Optional.empty());
    assertEquals(Codec.LZ4, settings.codec());
    assertEquals("compression lz4, 2 lanes per disk (chosen: nothing measured with host hv-01"
        + " yet, no bandwidth limit)", settings.toString());
  }

  @Test
  void aSlowLinkTheLanesWaitedForGetsZstdAndTheSlowerTheStronger() {
    TransferSettings slow = choose(OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(50 * MBIT, true)));
    assertEquals(CompressionPolicy.STEPS.get(0).codec(), slow.codec());
    assertEquals("chosen: host hv-01's link measured at 50 Mbit/s", slow.because());
    TransferSettings wan = choose(OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(500 * MBIT, true)));
    assertEquals(Codec.zstd(3), wan.codec());
    assertEquals(Codec.zstd(1), choose(OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(1000 * MBIT, true))).codec());
    assertEquals(Codec.LZ4, choose(OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(5000 * MBIT, true))).codec());
  }

  @Test
  void aRateTheLanesThemselvesSetSaysOnlyThatTheLinkIsFasterSoLz4() {
    // A transfer held back by zstd's CPU measured the CPU: staying on zstd would keep it slow.
    TransferSettings settings = choose(OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(20 * MBIT, false)));
    assertEquals(Codec.LZ4, settings.codec());
    assertEquals("chosen: host hv-01's link carried 20 Mbit/s without holding the lanes back",
        settings.because());
  }

  @Test
  void aLinkFasterThanLz4CompressesOnTheLanesGetsNoCompression() {
    // 2 lanes x 547 MB/s = 8.75 Gbit/s: what carried more needs no compression, bound or not.
    TransferSettings lan = choose(OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(9_000 * MBIT, false)));
    assertEquals(Codec.NONE, lan.codec());
    assertEquals("chosen: host hv-01's link carried 9.00 Gbit/s, more than LZ4 compresses on 2"
        + " lanes (8.75 Gbit/s)", lan.because());
    assertEquals(Codec.NONE, choose(OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(9_000 * MBIT, true))).codec());
    assertEquals(Codec.NONE, CompressionPolicy.choose("hv-01", OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(5_000 * MBIT, false)), 1).codec());
    // Just below, or a limit in force below it: LZ4 still feeds the link faster.
    assertEquals(Codec.LZ4, choose(OptionalLong.empty(),
        Optional.of(new CompressionPolicy.Measured(8_700 * MBIT, false))).codec());
    assertEquals(Codec.LZ4, choose(OptionalLong.of(5_000 * MBIT),
        Optional.of(new CompressionPolicy.Measured(9_000 * MBIT, false))).codec());
  }

  @Test
  void theLowerOfTheLimitAndTheMeasuredLinkDecides() {
    TransferSettings limited = choose(OptionalLong.of(100 * MBIT),
        Optional.of(new CompressionPolicy.Measured(900 * MBIT, true)));
    assertEquals(CompressionPolicy.STEPS.get(0).codec(), limited.codec());
    assertEquals("chosen: the bandwidth limit in force, 100 Mbit/s", limited.because());
    TransferSettings measured = choose(OptionalLong.of(10_000 * MBIT),
        Optional.of(new CompressionPolicy.Measured(80 * MBIT, true)));
    assertEquals("chosen: host hv-01's link measured at 80 Mbit/s", measured.because());
    assertEquals(Codec.LZ4, choose(OptionalLong.of(10_000 * MBIT), Optional.empty()).codec());
  }

  @Test
  void stepsRiseWithTheLinkRate() {
    for (int i = 1; i < CompressionPolicy.STEPS.size(); i++) {
      CompressionPolicy.Step lower = CompressionPolicy.STEPS.get(i - 1);
      CompressionPolicy.Step higher = CompressionPolicy.STEPS.get(i);
      assertEquals(true, lower.upToBitsPerSecond() < higher.upToBitsPerSecond());
      assertEquals(true, lower.codec().level() >= higher.codec().level());
    }
  }
}
