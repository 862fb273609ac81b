package io.failback.controller.tuning;

import io.failback.common.codec.Codec;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Chooses a transfer's compression from what the controller knows of the link: the bandwidth
 * limit in force and what the last transfer with the host measured.
 *
 * <p>Compression pays while the source compresses faster than the link carries what it
 * saves: on a slow link zstd's fewer bytes win, on a fast one its CPU per byte would set the
 * pace and LZ4 (which gives up early on incompressible blocks) wins. The steps below come from
 * {@code bench/codec-throughput} on 64 KiB blocks of a system disk's content
 * (docs/BENCHMARKS.md): each codec is chosen up to the link rate at which one core compressing
 * keeps the link busier than the next lighter one would.
 *
 * <p>A measured rate says something about the link only when the link set the pace (the lanes
 * waited for it); a transfer held back by its own reading, hashing or compressing measured the
 * CPU, the link is faster than that, and LZ4 is chosen rather than staying on a codec that
 * may have been what slowed it. So did one during which either machine's CPUs had nothing to
 * spare ({@link Measured#cpusBusy}): harder compression would cost what was short. A link that
 * carried more than the lanes could compress with LZ4 (a fast LAN) gets none.
 */
public final class CompressionPolicy {
  /**
   * A rate the last transfer with a host measured while sending, and what set it; {@code
   * cpusBusy}, when not empty, says the CPUs did ("the CPUs were busy (…)").
   */
  public record Measured(double bytesPerSecond, boolean linkBound, String cpusBusy) {
    public Measured(double bytesPerSecond, boolean linkBound) {
      this(bytesPerSecond, linkBound, "");
    }
  }

  /** A codec and the link rate up to which it is chosen. */
  record Step(long upToBitsPerSecond, Codec codec) {}

  // Measured on 64 KiB blocks of /usr (2 vCPU, 2026-12-04), one thread, raw MB/s encoded and
  // wire bytes per raw byte: LZ4 547 / 0.418, zstd 1 362 / 0.274, 3 285 / 0.270,
  // 6 123 / 0.250, 9 74 / 0.246. A codec's rate is min(encode, link / ratio); each step is
  // where the next lighter codec starts to win (zstd 9 gains 2 % on zstd 6 for 1.7x the CPU).
  static final List<Step> STEPS = List.of(
      new Step(250_000_000L, Codec.zstd(6)),
      new Step(600_000_000L, Codec.zstd(3)),
      new Step(1_200_000_000L, Codec.zstd(1)));

  /**
   * LZ4's encode rate on one core (bytes per second, same measurement). A link known to carry
   * more than the lanes can compress with it (a fast LAN) gets no compression: it would only
   * cost CPU, on both ends, that the copy needs for TLS and digests.
   */
  static final long LZ4_BYTES_PER_SECOND = 547_000_000L;

  private CompressionPolicy() {}

  /** What a transfer with {@code host} compresses with, and why. */
  public static TransferSettings choose(String host, OptionalLong limitBytesPerSecond,
      Optional<Measured> measured, int lanes) {
    return choose(host, "link", limitBytesPerSecond, measured, lanes);
  }

  /**
   * What a transfer with {@code host} compresses with, and why.
   *
   * @param link what {@code measured} measured, as the reason names it ("link", "upload link")
   */
  public static TransferSettings choose(String host, String link,
      OptionalLong limitBytesPerSecond, Optional<Measured> measured, int lanes) {
    Optional<Measured> bound = measured.filter(Measured::linkBound);
    long limitBits = limitBytesPerSecond.isPresent() ? limitBytesPerSecond.getAsLong() * 8
        : Long.MAX_VALUE;
    long measuredBits = bound.map(m -> (long) (m.bytesPerSecond() * 8)).orElse(Long.MAX_VALUE);
    long linkBits = Math.min(limitBits, measuredBits);
    // Bound by the link or not, the link carried at least what was measured on the wire.
    long carried = measured.map(m -> (long) (m.bytesPerSecond() * 8)).orElse(0L);
    long lz4Bits = lanes * LZ4_BYTES_PER_SECOND * 8;
    if (carried >= lz4Bits && limitBits >= lz4Bits) {
      return new TransferSettings(Codec.NONE, lanes, "chosen: host " + host + "'s " + link
          + " carried " + rate(carried) + ", more than LZ4 compresses on " + lanes + " lane"
          + (lanes == 1 ? "" : "s") + " (" + rate(lz4Bits) + ")");
    }
    if (linkBits == Long.MAX_VALUE) {
      String why = measured.map(m -> "host " + host + "'s " + link + " carried " + rate((long)
          (m.bytesPerSecond() * 8)) + (m.cpusBusy().isEmpty()
          ? " without holding the lanes back" : " while " + m.cpusBusy())).orElse(
          "nothing measured with host " + host + " yet, no bandwidth limit");
      return new TransferSettings(Codec.LZ4, lanes, "chosen: " + why);
    }
    String why = limitBits <= measuredBits
        ? "the bandwidth limit in force, " + rate(limitBits)
        : "host " + host + "'s " + link + " measured at " + rate(measuredBits);
    for (Step step : STEPS) {
      if (linkBits <= step.upToBitsPerSecond()) {
        return new TransferSettings(step.codec(), lanes, "chosen: " + why);
      }
    }
    return new TransferSettings(Codec.LZ4, lanes, "chosen: " + why);
  }

  static String rate(long bitsPerSecond) {
    return bitsPerSecond >= 1_000_000_000L
        ? String.format(Locale.ROOT, "%.2f Gbit/s", bitsPerSecond / 1e9)
        : String.format(Locale.ROOT, "%.0f Mbit/s", bitsPerSecond / 1e6);
  }
}
