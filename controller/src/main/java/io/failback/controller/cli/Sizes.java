package io.failback.controller.cli;

import java.util.Locale;

/** Byte counts the way operators read them. */
final class Sizes {
  private Sizes() {}

  /**
   * "4096", "4KiB", "64k", "1MiB", "1M": bytes, in binary units.
   *
   * @throws IllegalArgumentException naming {@code flag}, for anything else
   */
  static long parse(String flag, String text) {
    String value = text.trim().toLowerCase(Locale.ROOT);
    int digits = 0;
    while (digits < value.length() && Character.isDigit(value.charAt(digits))) {
      digits++;
    }
    long unit = switch (value.substring(digits).trim()) {
      case "", "b" -> 1;
      case "k", "kib", "kb" -> 1L << 10;
      case "m", "mib", "mb" -> 1L << 20;
      default -> -1;
    };
    if (digits == 0 || digits > 9 || unit < 0) {
      throw new IllegalArgumentException(flag + " takes a size such as 4096, 64KiB or 1MiB, got '"
          + text + "'");
    }
    return Long.parseLong(value.substring(0, digits)) * unit;
  }
}
