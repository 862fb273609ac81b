package io.failback.common.text;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Iterator;
import java.util.function.Function;

/**
 * Keeps text that goes back to a caller short: an error description travels in an HTTP/2
 * trailer, and one that echoes a 1 MiB input (or lists 20,000 ids) breaks the caller's
 * connection instead of telling it what was wrong. Every cut says so.
 */
public final class BoundedText {
  /** The most UTF-8 bytes of a description sent to a caller. */
  public static final int MAX_DESCRIPTION_BYTES = 1024;
  /** The most characters of one echoed input. */
  public static final int MAX_ECHO_CHARS = 64;
  /** The most items of a list named in a description. */
  public static final int MAX_LIST_ITEMS = 10;

  /** Characters of one echoed value (agent-boundary name for {@link #MAX_ECHO_CHARS}). */
  public static final int ECHO_CHARS = MAX_ECHO_CHARS;
  /** Items of one echoed list (agent-boundary name for {@link #MAX_LIST_ITEMS}). */
  public static final int LIST_ITEMS = MAX_LIST_ITEMS;

  private BoundedText() {}

  /** The same as {@link #echo}: a value quoted, escaped and cut. */
  public static String quote(String value) {
    return echo(value);
  }

  /** {@code text}, or its first characters followed by what was cut, within {@code max}. */
  public static String truncate(String text, int max) {
    return text.length() <= max ? text : cut(text, max, text.length());
  }

  /** {@code shown} cut to end within {@code max} with the count of the {@code total}. */
  private static String cut(String shown, int max, int total) {
    String suffix = " … [truncated, " + total + " characters in all]";
    return shown.substring(0, Math.max(0, max - suffix.length())) + suffix;
  }

  /**
   * A caller's input, quoted, with control and other invisible characters escaped, cut after
   * {@value #MAX_ECHO_CHARS} characters with the full length given.
   */
  public static String echo(String input) {
    if (input == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder("'");
    int shown = 0;
    int i = 0;
    while (i < input.length() && shown < MAX_ECHO_CHARS) {
      int c = input.codePointAt(i);
      appendVisible(out, c);
      shown++;
      i += Character.charCount(c);
    }
    out.append('\'');
    if (i < input.length()) {
      out.append("… (").append(input.codePointCount(0, input.length())).append(" characters)");
    }
    return out.toString();
  }

  /**
   * {@code text} whole, with control and other invisible characters escaped as in {@link
   * #echo}, and nothing else changed (a Windows path keeps its backslashes): free text from an
   * untrusted peer that a log line, a job or a terminal shows must not end the line or carry an
   * escape sequence to the operator's terminal.
   */
  public static String printable(String text) {
    if (text.codePoints().noneMatch(BoundedText::invisible)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    text.codePoints().forEach(c -> {
      if (c == '\\' || c == '\'') {
        out.append((char) c);
      } else {
        appendVisible(out, c);
      }
    });
    return out.toString();
  }

  /**
   * {@link #printable(String)} within {@code max} characters, cut as {@link #truncate} cuts:
   * only what can be kept is escaped, so a huge input costs no more than a short one.
   */
  public static String printable(String text, int max) {
    String head = printable(text.length() <= max ? text : text.substring(0, max));
    return head.length() <= max && text.length() <= max ? head : cut(head, max, text.length());
  }

  /** Up to {@value #MAX_LIST_ITEMS} items, each echoed, then "… and K more". */
  public static String list(Collection<String> items) {
    return list(items, BoundedText::echo);
  }

  /** Up to {@value #MAX_LIST_ITEMS} items, each shown by {@code show}, then "… and K more". */
  public static <T> String list(Collection<T> items, Function<? super T, String> show) {
    StringBuilder out = new StringBuilder();
    Iterator<T> it = items.iterator();
    int n = 0;
    while (it.hasNext() && n < MAX_LIST_ITEMS) {
      out.append(n == 0 ? "" : ", ").append(show.apply(it.next()));
      n++;
    }
    if (items.size() > n) {
      out.append(" … and ").append(items.size() - n).append(" more");
    }
    return out.toString();
  }

  /**
   * {@code text} if it fits in {@value #MAX_DESCRIPTION_BYTES} UTF-8 bytes; otherwise its start
   * and a note of how long it was, together within the bound.
   */
  public static String description(String text) {
    if (text == null || fits(text)) {
      return text;
    }
    String note = " … [truncated: " + text.getBytes(StandardCharsets.UTF_8).length
        + " bytes in all]";
    int budget = MAX_DESCRIPTION_BYTES - note.getBytes(StandardCharsets.UTF_8).length;
    StringBuilder out = new StringBuilder();
    int used = 0;
    int i = 0;
    while (i < text.length()) {
      int c = text.codePointAt(i);
      int size = utf8Length(c);
      if (used + size > budget) {
        break;
      }
      out.appendCodePoint(c);
      used += size;
      i += Character.charCount(c);
    }
    return out.append(note).toString();
  }

  /** Whether {@code text} is within the description bound. */
  public static boolean fits(String text) {
    // Cheap first: no more chars than bytes allowed, every char at most 3 bytes.
    if (text.length() * 3 <= MAX_DESCRIPTION_BYTES) {
      return true;
    }
    return text.length() <= MAX_DESCRIPTION_BYTES
        && text.getBytes(StandardCharsets.UTF_8).length <= MAX_DESCRIPTION_BYTES;
  }

  private static void appendVisible(StringBuilder out, int c) {
    switch (c) {
      case '\n' -> out.append("\\n");
      case '\r' -> out.append("\\r");
      case '\t' -> out.append("\\t");
      case '\\' -> out.append("\\\\");
      case '\'' -> out.append("\\'");
      default -> {
        if (invisible(c)) {
          out.append(String.format("\\u{%04x}", c));
        } else {
          out.appendCodePoint(c);
        }
      }
    }
  }

  private static boolean invisible(int c) {
    int type = Character.getType(c);
    return Character.isISOControl(c) || type == Character.FORMAT
        || type == Character.SURROGATE || type == Character.UNASSIGNED
        || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
        || type == Character.PRIVATE_USE;
  }

  private static int utf8Length(int codePoint) {
    if (codePoint < 0x80) {
      return 1;
    } else if (codePoint < 0x800) {
      return 2;
    } else if (codePoint < 0x10000) {
      return 3;
    }
    return 4;
  }
}
