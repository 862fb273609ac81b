package io.failback.common.text;

import java.util.Collection;
import java.util.Iterator;

/**
 * Text built from untrusted input, kept short enough for a status description, a log line or
 * a table cell.
 *
 * <p>Every error that echoes what a peer sent goes through here: an agent or an operator tool
 * can send megabytes in one field, and an unbounded echo turns one bad request into an
 * oversized answer (HTTP/2 refuses it) or a flooded log.
 */
public final class BoundedText {
  /** Characters of one echoed value. */
  public static final int ECHO_CHARS = 64;

  /** Items of one echoed list. */
  public static final int LIST_ITEMS = 10;

  private BoundedText() {}

  /**
   * {@code 'value'}, cut to {@link #ECHO_CHARS} with its full length said, and with control
   * characters escaped so that a value cannot forge a log line.
   */
  public static String quote(String value) {
    return "'" + escape(cut(value, ECHO_CHARS)) + "'";
  }

  /** {@code text}, or its first {@code max} characters followed by what was cut. */
  public static String truncate(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    String suffix = " … [truncated, " + text.length() + " characters in all]";
    return text.substring(0, Math.max(0, max - suffix.length())) + suffix;
  }

  /** The first {@link #LIST_ITEMS} items, comma separated, then "… and N more". */
  public static String list(Collection<String> items) {
    StringBuilder text = new StringBuilder();
    Iterator<String> each = items.iterator();
    for (int i = 0; i < LIST_ITEMS && each.hasNext(); i++) {
      text.append(i == 0 ? "" : ", ").append(escape(cut(each.next(), ECHO_CHARS)));
    }
    if (items.size() > LIST_ITEMS) {
      text.append(" … and ").append(items.size() - LIST_ITEMS).append(" more");
    }
    return text.toString();
  }

  private static String cut(String value, int max) {
    if (value.length() <= max) {
      return value;
    }
    return value.substring(0, max) + "…(" + value.length() + " chars)";
  }

  private static String escape(String value) {
    StringBuilder out = new StringBuilder(value.length());
    value.codePoints().forEach(c -> {
      if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
        out.append(String.format("\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return out.toString();
  }
}
