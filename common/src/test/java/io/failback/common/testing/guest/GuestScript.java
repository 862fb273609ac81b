package io.failback.common.testing.guest;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The commands for one boot of the tiny guest, carried on the kernel command line (see
 * tools/tiny-guest/init for their meaning).
 */
public final class GuestScript {
  private static final Pattern DEVICE = Pattern.compile("[vs]d[a-z]");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_-]{1,8}");
  private static final Pattern NIC = Pattern.compile("eth[0-9]{1,2}");
  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])";
  private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
  // The kernel keeps 2,048 bytes of command line; the fixed part takes well under 100.
  private static final int MAX_COMMANDS_LENGTH = 1800;

  private final List<String> commands = new ArrayList<>();
  private String end = "";

  /** Writes the {@link GuestPattern} of {@code tag} over the region, with O_DIRECT. */
  public GuestScript write(String device, long offset, long length, String tag) {
    checkArgument(TAG.matcher(tag).matches(), "bad tag %s", tag);
    return add("w", device, offset, length, tag);
  }

  /** Writes zeros over the region, with O_DIRECT. */
  public GuestScript zero(String device, long offset, long length) {
    return add("z", device, offset, length, null);
  }

  /** Reports the SHA-256 of the region as the guest reads it (O_DIRECT). */
  public GuestScript sum(String device, long offset, long length) {
    return add("s", device, offset, length, null);
  }

  /** Keeps rewriting the region in the background until power-off. */
  public GuestScript loop(String device, long offset, long length, String tag) {
    checkArgument(tag.length() <= 5 && TAG.matcher(tag).matches(), "bad loop tag %s", tag);
    return add("l", device, offset, length, tag);
  }

  /**
   * Brings the network adapter {@code nic} up with the IPv4 {@code address} ({@code prefix}
   * bits) and pings {@code peer}: traffic through the adapter, seen from inside.
   */
  public GuestScript ping(String nic, String address, int prefix, String peer) {
    checkArgument(NIC.matcher(nic).matches(), "bad network adapter %s", nic);
    checkArgument(IPV4.matcher(address).matches() && IPV4.matcher(peer).matches()
        && prefix >= 8 && prefix <= 30, "bad address %s/%s or peer %s", address, prefix, peer);
    commands.add("n:" + nic + ":" + address + "/" + prefix + ":" + peer);
    return this;
  }

  /** After the commands, stays up until the ACPI power button instead of powering off. */
  public GuestScript awaitAcpiShutdown() {
    end = " fb.end=acpi";
    return this;
  }

  /** After the commands, stays up and ignores the ACPI power button (reports "HANGING"). */
  public GuestScript ignoreAcpiShutdown() {
    end = " fb.end=hang";
    return this;
  }

  private GuestScript add(String op, String device, long offset, long length, String tag) {
    checkArgument(DEVICE.matcher(device).matches(), "bad device %s", device);
    checkArgument(offset >= 0 && offset % 512 == 0 && length > 0 && length % 512 == 0,
        "region %s+%s is not in whole sectors", offset, length);
    commands.add(op + ":" + device + ":" + offset + ":" + length + (tag == null ? "" : ":" + tag));
    return this;
  }

  /** The kernel command line: serial console, no reboot on panic, then the commands. */
  public String kernelCommandLine() {
    String run = String.join(",", commands);
    checkArgument(run.length() <= MAX_COMMANDS_LENGTH, "%s commands do not fit the kernel"
        + " command line", commands.size());
    return "console=ttyS0 quiet panic=-1" + (run.isEmpty() ? "" : " fb.run=" + run)
        + end;
  }
}
