package io.failback.controller.bandwidth;

import java.time.DayOfWeek;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bandwidth limit that may change with the time of day, as operators write it: a constant
 * ({@code 100Mbit/s}) or time windows and a rate for the rest of the time, e.g.
 * {@code Mon-Fri 08:00-18:00=100Mbit/s, Sat 09:00-13:00=200Mbit/s, unlimited}.
 *
 * <p>A window ending before it starts runs past midnight ({@code 22:00-06:00}); its days are
 * the days it starts on. The first window that covers a moment decides; without one, the rate
 * given without a window does, else there is no limit. Times are in the controller's zone.
 */
public final class BandwidthSchedule {
  /** No limit at any time. */
  public static final BandwidthSchedule UNLIMITED = new BandwidthSchedule("unlimited",
      List.of(), OptionalLong.empty());

  private static final Pattern WINDOW = Pattern.compile(
      "(?:([A-Za-z]{3})(?:-([A-Za-z]{3}))?\\s+)?(\\d\\d):(\\d\\d)\\s*-\\s*(\\d\\d):(\\d\\d)\\s*=\\s*(.+)");

  private final String text;
  private final List<Window> windows;
  private final OptionalLong otherwise;

  /** One time window: on {@code days}, from {@code start} for {@code minutes}. */
  record Window(String text, Set<DayOfWeek> days, int startMinute, int endMinute,
      OptionalLong rate) {
    boolean covers(ZonedDateTime at) {
      int minute = at.getHour() * 60 + at.getMinute();
      DayOfWeek day = at.getDayOfWeek();
      if (startMinute < endMinute) {
        return days.contains(day) && minute >= startMinute && minute < endMinute;
      }
      return days.contains(day) && minute >= startMinute
          || days.contains(day.minus(1)) && minute < endMinute;
    }
  }

  /** The limit at one moment and the part of the schedule that sets it. */
  public record Effective(OptionalLong bytesPerSecond, String because) {}

  private BandwidthSchedule(String text, List<Window> windows, OptionalLong otherwise) {
    this.text = text;
    this.windows = windows;
    this.otherwise = otherwise;
  }

  /**
   * Reads an operator's schedule.
   *
   * @throws IllegalArgumentException naming the part that is wrong
   */
  public static BandwidthSchedule parse(String text) {
    String trimmed = text == null ? "" : text.trim();
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("the bandwidth schedule is empty: write a rate (e.g."
          + " 100Mbit/s) or windows such as 'Mon-Fri 08:00-18:00=100Mbit/s, unlimited'");
    }
    if (trimmed.length() > 1000) {
      throw new IllegalArgumentException("the bandwidth schedule is longer than 1000 characters");
    }
    List<Window> windows = new ArrayList<>();
    OptionalLong otherwise = null;
    for (String part : trimmed.split(",")) {
      String entry = part.trim();
      Matcher m = WINDOW.matcher(entry);
      if (m.matches()) {
        windows.add(window(entry, m));
      } else if (otherwise != null) {
        throw new IllegalArgumentException("'" + entry + "': a schedule has one rate without a"
            + " window (for the rest of the time), and windows look like"
            + " 'Mon-Fri 08:00-18:00=100Mbit/s'");
      } else {
        try {
          otherwise = Rates.parse(entry);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("'" + entry + "' is neither a window such as"
              + " 'Mon-Fri 08:00-18:00=100Mbit/s' nor a rate: " + e.getMessage());
        }
      }
    }
    return new BandwidthSchedule(trimmed, List.copyOf(windows),
        otherwise == null ? OptionalLong.empty() : otherwise);
  }

  private static Window window(String entry, Matcher m) {
    Set<DayOfWeek> days = m.group(1) == null ? EnumSet.allOf(DayOfWeek.class)
        : days(entry, day(entry, m.group(1)), m.group(2) == null ? day(entry, m.group(1))
            : day(entry, m.group(2)));
    int start = minute(entry, m.group(3), m.group(4), false);
    int end = minute(entry, m.group(5), m.group(6), true);
    if (start == end) {
      throw new IllegalArgumentException("'" + entry + "': the window starts where it ends");
    }
    OptionalLong rate;
    try {
      rate = Rates.parse(m.group(7));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + entry + "': " + e.getMessage());
    }
    String label = entry.substring(0, entry.indexOf('=')).trim();
    return new Window(label, days, start, end % (24 * 60), rate);
  }

  private static DayOfWeek day(String entry, String name) {
    for (DayOfWeek day : DayOfWeek.values()) {
      if (day.getDisplayName(TextStyle.SHORT, Locale.ENGLISH).equalsIgnoreCase(name)) {
        return day;
      }
    }
    throw new IllegalArgumentException("'" + entry + "': '" + name + "' is not a day; use Mon,"
        + " Tue, Wed, Thu, Fri, Sat or Sun");
  }

  private static Set<DayOfWeek> days(String entry, DayOfWeek first, DayOfWeek last) {
    Set<DayOfWeek> days = EnumSet.of(first);
    for (DayOfWeek day = first; day != last; day = day.plus(1)) {
      days.add(day.plus(1));
    }
    return days;
  }

  private static int minute(String entry, String hours, String minutes, boolean end) {
    int h = Integer.parseInt(hours);
    int m = Integer.parseInt(minutes);
    boolean midnight = end && h == 24 && m == 0;
    if (!midnight && (h > 23 || m > 59)) {
      throw new IllegalArgumentException("'" + entry + "': " + hours + ":" + minutes
          + " is not a time of day (00:00 to 23:59; 24:00 may end a window)");
    }
    return h * 60 + m;
  }

  /** The limit at {@code at} (in the controller's zone) and what sets it. */
  public Effective at(ZonedDateTime at) {
    for (Window window : windows) {
      if (window.covers(at)) {
        return new Effective(window.rate(), window.text());
      }
    }
    return new Effective(otherwise, windows.isEmpty() ? "always" : "outside its windows");
  }

  /** The schedule as the operator wrote it (trimmed). */
  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return text;
  }
}
