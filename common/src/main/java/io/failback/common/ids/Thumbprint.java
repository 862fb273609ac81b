package io.failback.common.ids;

import static com.google.common.base.Preconditions.checkArgument;

import io.failback.common.text.BoundedText;
import java.util.Locale;
import java.util.regex.Pattern;

/** A certificate thumbprint as Windows shows it: the SHA-1 of the DER, 40 hex digits. */
public record Thumbprint(String value) {
  private static final Pattern CANONICAL = Pattern.compile("[0-9a-f]{40}");
  private static final Pattern ANY_CASE = Pattern.compile("[0-9a-fA-F]{40}");

  public Thumbprint {
    checkArgument(CANONICAL.matcher(value).matches(), "not a thumbprint: %s",
        BoundedText.echo(value));
  }

  /** Parses a thumbprint from a caller; any case is accepted and kept in lower case. */
  public static Thumbprint parse(String field, String text) throws InvalidIdException {
    if (!ANY_CASE.matcher(text).matches()) {
      throw new InvalidIdException(field + " " + BoundedText.echo(text) + " is not a"
          + " certificate thumbprint: 40 hex digits (SHA-1) are expected; the agent's inventory"
          + " lists the thumbprints it holds");
    }
    return new Thumbprint(text.toLowerCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return value;
  }
}
