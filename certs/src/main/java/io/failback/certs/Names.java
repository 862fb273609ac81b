package io.failback.certs;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Validates and normalizes the names that end up in certificates. */
final class Names {
  private static final int MAX_NAME_LENGTH = 63;
  private static final int MAX_DNS_LENGTH = 253;
  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  private static final Pattern IPV4 =
      Pattern.compile(OCTET + "\\." + OCTET + "\\." + OCTET + "\\." + OCTET);
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

  private Names() {}

  /** Checks a host or operator name and returns it in lower case; {@code what} names it. */
  static String name(String what, String value) {
    Objects.requireNonNull(value, what);
    check(!value.isEmpty(), "%s must not be empty", what);
    check(
        value.length() <= MAX_NAME_LENGTH,
        "%s \"%s\" is %s characters long; at most %s are allowed",
        what,
        value,
        value.length(),
        MAX_NAME_LENGTH);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      check(
          isAsciiLetterOrDigit(c) || c == '.' || c == '_' || c == '-',
          "%s \"%s\" contains '%s'; only letters, digits, '.', '_' and '-' are allowed",
          what,
          value,
          c);
    }
    check(
        value.charAt(0) != '.' && value.charAt(0) != '-',
        "%s \"%s\" must not start with '.' or '-'",
        what,
        value);
    return value.toLowerCase(Locale.ROOT);
  }

  /** Checks a trust domain such as "failback.local", which must already be lower case. */
  static String trustDomain(String value) {
    Objects.requireNonNull(value, "trust domain");
    check(
        !value.startsWith("spiffe://"),
        "trust domain \"%s\" must be given without the spiffe:// prefix",
        value);
    check(
        value.equals(value.toLowerCase(Locale.ROOT)),
        "trust domain \"%s\" must be lower case",
        value);
    return dnsLike("trust domain", value);
  }

  /** Checks a DNS name for a server certificate and returns it in lower case. */
  static String dnsName(String value) {
    Objects.requireNonNull(value, "DNS name");
    check(
        !IPV4.matcher(value).matches(),
        "DNS name \"%s\" is an IP address; pass it as an IP address instead",
        value);
    check(!value.startsWith("*."), "DNS name \"%s\": wildcards are not allowed", value);
    return dnsLike("DNS name", value.toLowerCase(Locale.ROOT));
  }

  /** Parses a literal IPv4 or IPv6 address without ever asking a resolver. */
  static InetAddress ipAddress(String value) {
    Objects.requireNonNull(value, "IP address");
    Matcher v4 = IPV4.matcher(value);
    try {
      if (v4.matches()) {
        byte[] octets = new byte[4];
        for (int i = 0; i < 4; i++) {
          octets[i] = (byte) Integer.parseInt(v4.group(i + 1));
        }
        return InetAddress.getByAddress(octets);
      }
      // A string with a colon is parsed as an IPv6 literal, never looked up.
      if (value.contains(":") && IPV6_CHARS.matcher(value).matches()) {
        return InetAddress.getByName(value);
      }
    } catch (UnknownHostException e) {
      // Falls through to the message below.
    }
    throw new IllegalArgumentException(
        "IP address \"" + value + "\" is not a literal IPv4 or IPv6 address");
  }

  private static String dnsLike(String what, String value) {
    check(!value.isEmpty(), "%s must not be empty", what);
    check(
        value.length() <= MAX_DNS_LENGTH,
        "%s \"%s\" is longer than %s characters",
        what,
        value,
        MAX_DNS_LENGTH);
    for (String label : value.split("\\.", -1)) {
      check(!label.isEmpty(), "%s \"%s\" has an empty label", what, value);
      check(
          label.length() <= MAX_NAME_LENGTH,
          "%s \"%s\" has a label longer than %s characters",
          what,
          value,
          MAX_NAME_LENGTH);
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        check(
            isAsciiLetterOrDigit(c) || c == '-',
            "%s \"%s\" contains '%s'; only letters, digits, '-' and '.' are allowed",
            what,
            value,
            c);
      }
      check(
          label.charAt(0) != '-' && label.charAt(label.length() - 1) != '-',
          "%s \"%s\" has a label that starts or ends with '-'",
          what,
          value);
    }
    return value;
  }

  private static boolean isAsciiLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  /** Throws an IllegalArgumentException with a formatted message unless {@code ok}. */
  static void check(boolean ok, String template, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(template, args));
    }
  }
}
