package io.failback.common.ids;

import static com.google.common.base.Preconditions.checkArgument;

import io.failback.common.text.BoundedText;
import java.util.regex.Pattern;

/**
 * A recovery plan's name: 1 to {@value #MAX_LENGTH} ASCII letters, digits, '.', '_' or '-'
 * (ASCII only: SQLite's NOCASE folds ASCII letters alone, so the store and Java agree). Names
 * compare without case; the spelling given is kept.
 */
public record PlanName(String value) {
  public static final int MAX_LENGTH = 64;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");

  public PlanName {
    checkArgument(NAME.matcher(value).matches(), "not a plan name: %s",
        BoundedText.echo(value));
  }

  /** Parses a plan name from a caller; {@code field} is named in the error. */
  public static PlanName parse(String field, String text) throws InvalidIdException {
    if (text.isEmpty()) {
      throw new InvalidIdException(field + " is empty; name the recovery plan");
    }
    if (text.length() > MAX_LENGTH) {
      throw new InvalidIdException(field + " has " + text.length() + " characters; a recovery"
          + " plan name has at most " + MAX_LENGTH);
    }
    if (!NAME.matcher(text).matches()) {
      throw new InvalidIdException(field + " " + BoundedText.echo(text) + " is not a valid"
          + " recovery plan name: use 1 to " + MAX_LENGTH + " letters, digits, '.', '_' or '-'");
    }
    return new PlanName(text);
  }

  @Override
  public String toString() {
    return value;
  }
}
