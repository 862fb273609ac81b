package io.failback.common.ids;

import io.failback.common.text.BoundedText;
import java.util.Locale;
import java.util.regex.Pattern;

/** The GUID text form shared by VM ids (Hyper-V) and job ids (the controller's UUIDs). */
final class Guid {
  static final String EXAMPLE = "8f2c1a3e-5b7d-4e09-a1c2-3d4e5f607182";
  private static final Pattern CANONICAL = Pattern.compile(
      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final Pattern ANY_CASE = Pattern.compile(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private Guid() {}

  static boolean isCanonical(String text) {
    return text != null && CANONICAL.matcher(text).matches();
  }

  /** {@code text} in lower case, or why it is not a GUID; {@code what} says what it names. */
  static String parse(String field, String text, String what, String hint)
      throws InvalidIdException {
    if (text.isEmpty()) {
      throw new InvalidIdException(field + " is empty; " + hint);
    }
    // Matched before lower-casing: only ASCII hex digits, whatever Unicode case mapping does.
    if (!ANY_CASE.matcher(text).matches()) {
      throw new InvalidIdException(field + " " + BoundedText.echo(text) + " is not " + what
          + ": a GUID such as " + EXAMPLE + " is expected; " + hint);
    }
    return text.toLowerCase(Locale.ROOT);
  }
}
