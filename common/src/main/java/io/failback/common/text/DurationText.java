package io.failback.common.text;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as operators type and read them: "90s", "5m", "1h30m", or ISO-8601 "PT5M". */
public final class DurationText {
  private static final Pattern SHORT = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

  private DurationText() {}

  /**
   * Parses {@code text}; a negative ISO-8601 duration parses, and the controller refuses it.
   *
   * @param option names the option in the error, e.g. "--delay-after 2=5x"
   * @throws IllegalArgumentException naming the option and the accepted forms
   */
  public static Duration parse(String option, String text) {
    Matcher shortForm = SHORT.matcher(text.toLowerCase(Locale.ROOT));
    try {
      if (!text.isEmpty() && shortForm.matches()) {
        return Duration.ofHours(number(shortForm.group(1)))
            .plusMinutes(number(shortForm.group(2))).plusSeconds(number(shortForm.group(3)));
      }
      return Duration.parse(text);
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new IllegalArgumentException(option + ": '" + text + "' is not a duration; write"
          + " it like 90s, 5m, 1h30m or PT5M");
    }
  }

  /** Formats like "1h30m", "45s", "0s"; fractions of a second only when there are some. */
  public static String format(Duration duration) {
    if (duration.isZero()) {
      return "0s";
    }
    StringBuilder text = new StringBuilder(duration.isNegative() ? "-" : "");
    Duration left = duration.abs();
    if (left.toHours() > 0) {
      text.append(left.toHours()).append('h');
    }
    if (left.toMinutesPart() > 0) {
      text.append(left.toMinutesPart()).append('m');
    }
    if (left.toSecondsPart() > 0 || left.toNanosPart() > 0) {
      text.append(left.toSecondsPart());
      if (left.toNanosPart() > 0) {
        text.append(String.format(Locale.ROOT, ".%09d", left.toNanosPart()).replaceAll("0+$", ""));
      }
      text.append('s');
    }
    return text.toString();
  }

  private static long number(String digits) {
    try {
      return digits == null ? 0 : Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw new ArithmeticException("too many digits: " + digits);
    }
  }
}
