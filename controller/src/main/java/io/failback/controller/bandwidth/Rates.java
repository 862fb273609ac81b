package io.failback.controller.bandwidth;

import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes link rates as operators write them: "100Mbit/s", "40 MiB/s", "unlimited". */
public final class Rates {
  /** Below this a 64 KiB block takes seconds: a sync would look stalled, not slow. */
  public static final long MIN_BYTES_PER_SECOND = 256_000 / 8;
  /** 100 Gbit/s: beyond anything one controller moves. */
  public static final long MAX_BYTES_PER_SECOND = 100_000_000_000L / 8;

  private static final Pattern RATE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]+)(?:/s)?", Pattern.CASE_INSENSITIVE);
  /** Bits per second per unit; byte units are times 8. */
  private static final Map<String, Double> BITS = Map.ofEntries(
      Map.entry("bit", 1d), Map.entry("kbit", 1e3), Map.entry("mbit", 1e6),
      Map.entry("gbit", 1e9), Map.entry("bps", 1d), Map.entry("kbps", 1e3),
      Map.entry("mbps", 1e6), Map.entry("gbps", 1e9), Map.entry("b", 8d),
      Map.entry("kb", 8e3), Map.entry("mb", 8e6), Map.entry("gb", 8e9),
      Map.entry("kib", 8d * 1024), Map.entry("mib", 8d * 1024 * 1024),
      Map.entry("gib", 8d * 1024 * 1024 * 1024));

  private Rates() {}

  /**
   * Bytes per second of {@code text}, or empty for "unlimited".
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static OptionalLong parse(String text) {
    String trimmed = text.trim();
    if (trimmed.equalsIgnoreCase("unlimited")) {
      return OptionalLong.empty();
    }
    Matcher m = RATE.matcher(trimmed);
    Double unit = m.matches() ? BITS.get(m.group(2).toLowerCase(Locale.ROOT)) : null;
    if (unit == null) {
      throw new IllegalArgumentException("'" + trimmed + "' is not a rate: write e.g. 100Mbit/s,"
          + " 1.5Gbit/s, 40MiB/s, 500kbit/s or unlimited");
    }
    double bytes = Double.parseDouble(m.group(1)) * unit / 8;
    if (bytes < MIN_BYTES_PER_SECOND || bytes > MAX_BYTES_PER_SECOND) {
      throw new IllegalArgumentException("rate " + trimmed + " is outside " + format(
          MIN_BYTES_PER_SECOND) + " to " + format(MAX_BYTES_PER_SECOND) + " (use unlimited for"
          + " no limit)");
    }
    return OptionalLong.of(Math.round(bytes));
  }

  /** "100 Mbit/s", "1.5 Gbit/s", "256 kbit/s": the rate in decimal bits per second. */
  public static String format(long bytesPerSecond) {
    double bits = bytesPerSecond * 8d;
    if (bits >= 1e9) {
      return number(bits / 1e9) + " Gbit/s";
    }
    if (bits >= 1e6) {
      return number(bits / 1e6) + " Mbit/s";
    }
    return number(bits / 1e3) + " kbit/s";
  }

  /** As {@link #format(long)}, "unlimited" for empty. */
  public static String format(OptionalLong bytesPerSecond) {
    return bytesPerSecond.isPresent() ? format(bytesPerSecond.getAsLong()) : "unlimited";
  }

  private static String number(double value) {
    String text = String.format(Locale.ROOT, "%.2f", value);
    return text.replaceAll("\\.?0+$", "");
  }
}
