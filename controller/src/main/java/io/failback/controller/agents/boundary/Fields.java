package io.failback.controller.agents.boundary;

import io.failback.common.text.BoundedText;

/** Checks of single fields, each adding a bounded problem to {@link Problems}. */
final class Fields {
  private Fields() {}

  /** {@code value} has {@code min}..{@code max} characters and no control characters. */
  static void text(Problems problems, String field, String value, int min, int max) {
    if (value.length() > max) {
      problems.tooLarge(field, "has " + value.length() + " characters; at most " + max
          + " are allowed");
    } else if (value.length() < min) {
      problems.add(field, "is empty");
    } else if (value.codePoints().anyMatch(c -> Character.isISOControl(c))) {
      problems.add(field, BoundedText.quote(value) + " holds control characters");
    }
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
