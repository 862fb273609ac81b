package io.failback.agent.hyperv.powershell;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns what PowerShell wrote to stderr into a message an operator can read. */
final class PowerShellErrors {
  private static final String CLIXML = "#< CLIXML";
  private static final Pattern ERROR_RECORD = Pattern.compile("<S S=\"Error\">(.*?)</S>",
      Pattern.DOTALL);
  private static final Pattern ESCAPE = Pattern.compile("_x([0-9A-Fa-f]{4})_");

  private PowerShellErrors() {}

  /**
   * The error text: plain lines as they are, or the error records of the CLIXML that Windows
   * PowerShell writes instead when started with {@code -EncodedCommand} and redirected.
   */
  static String message(String stderr) {
    String text = stderr.strip();
    if (!text.startsWith(CLIXML)) {
      return text;
    }
    List<String> lines = new ArrayList<>();
    Matcher records = ERROR_RECORD.matcher(text);
    while (records.find()) {
      String line = unescape(records.group(1)).strip();
      if (!line.isEmpty()) {
        lines.add(line);
      }
    }
    return String.join(" ", lines);
  }

  /** CLIXML writes control characters as {@code _xHHHH_} and XML's five as entities. */
  private static String unescape(String value) {
    Matcher escapes = ESCAPE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (escapes.find()) {
      char c = (char) Integer.parseInt(escapes.group(1), 16);
      escapes.appendReplacement(out, Matcher.quoteReplacement(
          c == '\r' || c == '\n' ? " " : String.valueOf(c)));
    }
    escapes.appendTail(out);
    return out.toString().replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
        .replace("&apos;", "'").replace("&amp;", "&");
  }
}
