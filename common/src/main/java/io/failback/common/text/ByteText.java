package io.failback.common.text;

import java.util.Locale;

/** Byte counts the way operators read them: "512 B", "48.9 KiB", "1000.5 MiB". */
public final class ByteText {
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private ByteText() {}

  /** In the largest binary unit that keeps the number at least 1, one decimal past bytes. */
  public static String human(long bytes) {
    double value = bytes;
    int unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
  }
}
