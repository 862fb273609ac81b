package io.failback.common.ids;

import io.failback.common.text.BoundedText;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A virtual machine's id in the form Hyper-V gives it: a GUID, compared case-insensitively.
 *
 * <p>Only values that pass {@link #parse} exist, so an id is safe to use as a file name and
 * in a message: it can hold no path separator, no dot segment and nothing unbounded.
 *
 * @param value the canonical (lower-case) GUID
 */
public record VmId(String value) {
  private static final Pattern GUID = Pattern.compile(
      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  public VmId {
    if (!GUID.matcher(value).matches()) {
      throw new IllegalArgumentException(problem(value));
    }
  }

  /** The id in {@code text}, upper or lower case. */
  public static VmId parse(String text) {
    if (text.length() != 36) {
      throw new IllegalArgumentException(problem(text));
    }
    return new VmId(text.toLowerCase(Locale.ROOT));
  }

  /** Whether {@code text} is a VM id. */
  public static boolean isValid(String text) {
    return text.length() == 36 && GUID.matcher(text.toLowerCase(Locale.ROOT)).matches();
  }

  /** Why {@code text} is not a VM id, with the value quoted and bounded. */
  public static String problem(String text) {
    return BoundedText.quote(text) + " is not a VM id (a GUID such as"
        + " 1b4e28ba-2fa1-11d2-883f-0016d3cca427, as Hyper-V gives)";
  }

  /** A file or folder name for this VM: the canonical GUID. */
  public String fileName() {
    return value;
  }

  @Override
  public String toString() {
    return value;
  }
}
