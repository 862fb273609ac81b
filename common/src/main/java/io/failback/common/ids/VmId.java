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

  @Override
  public String toString() {
    return value;
  }
}
