package io.failback.common.ids;

import static com.google.common.base.Preconditions.checkArgument;

import io.failback.common.text.BoundedText;

/**
 * A virtual machine's id as Hyper-V assigns it: a GUID, in lower case. It can never hold a
 * path, a separator or an unbounded string, so it is safe to name files and messages by.
 */
public record VmId(String value) {
  public VmId {
    checkArgument(Guid.isCanonical(value), "not a lower-case GUID: %s",
        BoundedText.echo(value));
  }

  /**
   * Parses a VM id from a caller; any case is accepted and kept in lower case.
   *
   * @param field the request field it came from, e.g. {@code vm_ids[2]}, named in the error
   */
  public static VmId parse(String field, String text) throws InvalidIdException {
    return new VmId(Guid.parse(field, text, "a VM id",
        "VM ids are the GUIDs Hyper-V gives VMs; list them with ListVirtualMachines"));
  }

  /** The id in {@code text}, any case; IllegalArgumentException (bounded) when it is none. */
  public static VmId parse(String text) {
    if (!isValid(text)) {
      throw new IllegalArgumentException(problem(text));
    }
    return new VmId(text.toLowerCase(java.util.Locale.ROOT));
  }

  /** Whether {@code text} is a VM id, in any case. */
  public static boolean isValid(String text) {
    return text != null && text.length() == 36
        && Guid.isCanonical(text.toLowerCase(java.util.Locale.ROOT));
  }

  /** Why {@code text} is not a VM id, with the value echoed and bounded. */
  public static String problem(String text) {
    return BoundedText.echo(text) + " is not a VM id (a GUID such as"
        + " 1b4e28ba-2fa1-11d2-883f-0016d3cca427, as Hyper-V gives)";
  }

  /** A file or folder name for this VM: the canonical GUID, which holds no separator. */
  public String fileName() {
    return value;
  }

  @Override
  public String toString() {
    return value;
  }
}
