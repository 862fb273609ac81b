package io.failback.common.ids;

import static com.google.common.base.Preconditions.checkArgument;

import io.failback.common.text.BoundedText;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A Hyper-V host's name as agents register it and certificates carry it (the PKI's rule): 1 to
 * {@value #MAX_LENGTH} ASCII letters, digits, '.', '_' or '-', not starting with '.' or '-',
 * in lower case. It can never hold a path separator or "..".
 */
public record HostName(String value) {
  public static final int MAX_LENGTH = 63;
  private static final Pattern NAME = Pattern.compile("[a-z0-9_][a-z0-9._-]{0,62}");
  private static final Pattern ANY_CASE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,62}");

  public HostName {
    checkArgument(NAME.matcher(value).matches() && !value.contains(".."),
        "not a host name: %s", BoundedText.echo(value));
  }

  /** Parses a host name from a caller; any case is accepted and kept in lower case. */
  public static HostName parse(String field, String text) throws InvalidIdException {
    if (text.isEmpty()) {
      throw new InvalidIdException(field + " is empty; name a host (list them with ListHosts)");
    }
    // Matched before lower-casing: only ASCII, whatever Unicode case mapping does.
    if (!ANY_CASE.matcher(text).matches() || text.contains("..")) {
      throw new InvalidIdException(field + " " + BoundedText.echo(text) + " is not a host name:"
          + " 1 to " + MAX_LENGTH + " letters, digits, '.', '_' or '-' are expected, as in the"
          + " agent's certificate; list hosts with ListHosts");
    }
    return new HostName(text.toLowerCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return value;
  }
}
