package io.failback.common.testing.guest;

import java.util.List;
import java.util.Optional;

/** The tiny guest's reports of one boot, in order, without the "FB-" prefix. */
public record GuestReport(List<String> lines) {
  public GuestReport {
    lines = List.copyOf(lines);
  }

  /** The SHA-256 the guest read for the region, if it was asked for it. */
  public Optional<String> sum(String device, long offset, long length) {
    String prefix = "SUM " + device + " " + offset + " " + length + " ";
    return lines.stream().filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length())).findFirst();
  }

  /** Whether the guest reported writing the pattern {@code tag} over the region. */
  public boolean wrote(String device, long offset, long length, String tag) {
    return lines.contains("WROTE " + device + " " + offset + " " + length + " " + tag);
  }

  /** Whether the guest reported zeroing the region. */
  public boolean zeroed(String device, long offset, long length) {
    return lines.contains("ZEROED " + device + " " + offset + " " + length);
  }

  /** The size in bytes of the guest's disk {@code device}, as it saw it at boot. */
  public Optional<Long> diskSize(String device) {
    return lines.stream().filter(l -> l.startsWith("DISK " + device + " "))
        .map(l -> Long.parseLong(l.substring(("DISK " + device + " ").length()))).findFirst();
  }

  /** The MAC address of the network adapter {@code nic}, as the guest saw it at boot. */
  public Optional<String> mac(String nic) {
    return lines.stream().filter(l -> l.startsWith("NIC " + nic + " "))
        .map(l -> l.substring(("NIC " + nic + " ").length())).findFirst();
  }

  /** The same in Hyper-V's form ({@code 00155D0A0B0C}), as an inventory reports it. */
  public Optional<String> hyperVMac(String nic) {
    return mac(nic).map(m -> m.replace(":", "").toUpperCase(java.util.Locale.ROOT));
  }

  /** Whether {@code peer} answered the guest's ping through {@code nic}. */
  public boolean pinged(String nic, String peer) {
    return lines.contains("PINGED " + nic + " " + peer);
  }

  /** The memory the guest's kernel saw, in KiB (MemTotal: less than the VM's, by the kernel's). */
  public Optional<Long> memoryKib() {
    return lines.stream().filter(l -> l.startsWith("MEMORY "))
        .map(l -> Long.parseLong(l.substring("MEMORY ".length()))).findFirst();
  }

  /** How many CPUs the guest saw. */
  public Optional<Integer> cpus() {
    return lines.stream().filter(l -> l.startsWith("CPUS "))
        .map(l -> Integer.parseInt(l.substring("CPUS ".length()))).findFirst();
  }

  /** Every "ERROR ..." report. */
  public List<String> errors() {
    return lines.stream().filter(l -> l.startsWith("ERROR")).toList();
  }

  /** Why the guest powered off ("commands" or "acpi"), if it did. */
  public Optional<String> powerOffReason() {
    return lines.stream().filter(l -> l.startsWith("POWEROFF "))
        .map(l -> l.substring("POWEROFF ".length())).findFirst();
  }
}
