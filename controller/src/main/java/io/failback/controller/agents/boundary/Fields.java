package io.failback.controller.agents.boundary;

import io.failback.common.text.BoundedText;

/** Checks of single fields, each adding a bounded problem to {@link Problems}. */
final class Fields {
  private Fields() {}

  /**
   * {@code value} has {@code min}..{@code max} characters, no control characters and none that
   * break a line or reorder what a terminal shows ({@link #layout}).
   */
  static void text(Problems problems, String field, String value, int min, int max) {
    if (value.length() > max) {
      problems.tooLarge(field, "has " + value.length() + " characters; at most " + max
          + " are allowed");
    } else if (value.length() < min) {
      problems.add(field, "is empty");
    } else if (value.codePoints().anyMatch(c -> Character.isISOControl(c) || layout(c))) {
      problems.add(field, BoundedText.quote(value) + " holds control characters");
    }
  }

  /**
   * Unicode's line and paragraph separators, which end a line where a one-line log record is
   * read, and the bidirectional embeddings, overrides and isolates, which make the CLI show a
   * name (and what follows it on the line) in another order than it has. Hyper-V's tools put
   * none of them in a name or path; the marks of right-to-left text (U+200E, U+200F) stay.
   */
  private static boolean layout(int c) {
    return c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e')
        || (c >= '\u2066' && c <= '\u2069');
  }

  static void count(Problems problems, String field, int count, int max) {
    if (count > max) {
      problems.tooLarge(field, "has " + count + " entries; at most " + max + " are allowed");
    }
  }

  static void atMost(Problems problems, String field, long value, long max) {
    if (Long.compareUnsigned(value, max) > 0) {
      problems.add(field, Long.toUnsignedString(value) + " is out of range (at most " + max
          + ")");
    }
  }

  /** A proto enum's number is one this build knows. */
  static void knownEnum(Problems problems, String field, boolean recognized, int number) {
    if (!recognized) {
      problems.add(field, "has the unknown value " + number);
    }
  }

  static boolean isPowerOfTwo(long value) {
    return value > 0 && (value & (value - 1)) == 0;
  }
}
