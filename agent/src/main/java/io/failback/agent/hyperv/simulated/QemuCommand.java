package io.failback.agent.hyperv.simulated;

import static com.google.common.base.Preconditions.checkArgument;

import io.failback.agent.hyperv.simulated.SimulatedHostJson.AdapterEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code qemu-system-x86_64} command line that runs one VM of a simulated host. */
final class QemuCommand {
  /** Where QEMU writes the guest's serial console, in the VM's folder; each boot anew. */
  static final String CONSOLE = "console.log";
  /** QEMU's QMP socket, in the VM's folder: the agent presses the power button through it. */
  static final String MONITOR = "qmp.sock";
  /** What a guest is given when its definition says nothing: enough for the tiny test guest. */
  static final long DEFAULT_MEMORY_BYTES = 256L << 20;
  static final int DEFAULT_PROCESSORS = 1;

  private QemuCommand() {}

  /** A disk to attach and the QEMU block driver that reads its format. */
  record Disk(Path file, String format) {}

  /**
   * The arguments; QEMU runs in the VM's folder, so the console and the monitor socket are named
   * relative to it (a Unix socket path is limited to 107 bytes, and relative names need no
   * escaping).
   */
  static List<String> arguments(SimulatedBoot boot, String vmId, Long memoryBytes,
      Integer processors, List<Disk> disks, List<AdapterEntry> adapters,
      String kernelCommandLine) {
    long memory = memoryBytes != null ? memoryBytes : DEFAULT_MEMORY_BYTES;
    List<String> command = new ArrayList<>(List.of(boot.qemu(),
        "-name", "failback-" + vmId,
        "-accel", boot.accelerator(),
        "-m", Long.toString((memory + (1 << 20) - 1) >> 20),
        "-smp", Integer.toString(processors != null ? processors : DEFAULT_PROCESSORS),
        // Only what a guest needs: its kernel, disks and network adapters; no VGA.
        "-nodefaults", "-display", "none",
        // A guest that reboots has in effect stopped; Hyper-V would restart it, we power off.
        "-no-reboot",
        "-serial", "file:" + CONSOLE,
        "-qmp", "unix:" + MONITOR + ",server=on,wait=off",
        // Taken verbatim, unlike -drive's value, which is parsed as options.
        "-kernel", boot.kernel().toString(),
        "-initrd", boot.initrd().toString(),
        "-append", kernelCommandLine));
    for (Disk disk : disks) {
      command.add("-drive");
      command.add("file=" + option(disk.file()) + ",format=" + disk.format() + ",if=virtio");
    }
    for (int i = 0; i < adapters.size(); i++) {
      AdapterEntry adapter = adapters.get(i);
      String device = "virtio-net-pci,mac=" + qemuMac(adapter.macAddress());
      if (adapter.switchName() != null && !adapter.switchName().isEmpty()) {
        // A network of its own per adapter that reaches nothing beyond QEMU's gateway: the
        // guest sees its adapters as Hyper-V gives them (the same MAC addresses, connected or
        // not) without a simulated host's VM touching the machine's network.
        command.addAll(List.of("-netdev", "user,id=nic" + i + ",restrict=on"));
        device += ",netdev=nic" + i;
      }
      command.addAll(List.of("-device", device));
    }
    return command;
  }

  /** Hyper-V's {@code 00155D0A0B0C} as QEMU writes it, {@code 00:15:5d:0a:0b:0c}. */
  static String qemuMac(String hyperV) {
    checkArgument(SimulatedHostJson.isMacAddress(hyperV), "not a MAC address: %s", hyperV);
    return hyperV.toLowerCase(java.util.Locale.ROOT).replaceAll("(..)(?!$)", "$1:");
  }

  /** A path inside a QEMU option list, where a comma ends the value unless doubled. */
  static String option(Path path) {
    return path.toString().replace(",", ",,");
  }
}
