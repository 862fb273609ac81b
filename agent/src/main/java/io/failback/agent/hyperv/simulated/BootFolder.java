package io.failback.agent.hyperv.simulated;

import io.failback.agent.hyperv.simulated.SimulatedHostJson.VmFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What a VM's folder says about booting it under QEMU, and where QEMU leaves its files. */
final class BootFolder {
  /** The kernel command line of a VM's next boots, one line. */
  static final String BOOT_ARGS = "boot-args";
  /** What QEMU prints (its errors). */
  static final String LOG = "qemu.log";
  static final String DEFAULT_BOOT_ARGS = "console=ttyS0 panic=-1";
  private static final int MAX_BOOT_ARGS = 2048;
  /** The longest path Linux takes for a Unix socket (sun_path, less the final NUL). */
  private static final int MAX_SOCKET_PATH = 107;

  private BootFolder() {}

  /** The VM's disks in order (vda, vdb, ...), each with the format its extension names. */
  static List<QemuCommand.Disk> disks(Path vmFile, VmFile vm) throws IOException {
    List<QemuCommand.Disk> disks = new ArrayList<>();
    for (String entry : SimulatedHostJson.orEmpty(vm.disks())) {
      Path disk = vmFile.resolveSibling(entry).toAbsolutePath().normalize();
      String name = disk.getFileName().toString().toLowerCase(Locale.ROOT);
      String format = name.endsWith(".vhdx") ? "vhdx"
          : name.endsWith(".raw") || name.endsWith(".img") ? "raw" : null;
      SimulatedHostJson.check(format != null, vmFile, "disk %s cannot boot under QEMU: a"
          + " differencing disk (.avhdx) or an unknown format; merge checkpoints first", disk);
      SimulatedHostJson.check(Files.isRegularFile(disk), vmFile, "disk file %s does not exist",
          disk);
      disks.add(new QemuCommand.Disk(disk, format));
    }
    return disks;
  }

  /**
   * The kernel command line in the VM folder's {@code boot-args}; else in the host's ({@code
   * vms/boot-args}, for the VMs the agent creates: a failback drill's, an alternate host's);
   * else a plain console.
   */
  static String bootArgs(Path folder) throws IOException {
    Path file = folder.resolve(BOOT_ARGS);
    if (!Files.exists(file)) {
      file = folder.resolveSibling(BOOT_ARGS);
    }
    if (!Files.exists(file)) {
      return DEFAULT_BOOT_ARGS;
    }
    String args = Files.readString(file, StandardCharsets.UTF_8).strip();
    SimulatedHostJson.check(!args.isEmpty() && !args.contains("\n")
        && args.length() <= MAX_BOOT_ARGS, file, "expected one kernel command line of 1 to %d"
        + " characters", MAX_BOOT_ARGS);
    return args;
  }

  /** QEMU's monitor socket, refused where its absolute path is too long to connect to. */
  static Path monitorSocket(Path folder) throws IOException {
    Path socket = folder.resolve(QemuCommand.MONITOR).toAbsolutePath();
    SimulatedHostJson.check(socket.toString().getBytes(StandardCharsets.UTF_8).length
        <= MAX_SOCKET_PATH, folder, "the monitor socket path %s is longer than Linux allows (%d"
        + " bytes): move the simulated host to a shorter path", socket, MAX_SOCKET_PATH);
    return socket;
  }

  /** The last lines QEMU printed, for an error message. */
  static String logTail(Path folder) {
    try {
      List<String> lines = Files.readAllLines(folder.resolve(LOG), StandardCharsets.UTF_8);
      return String.join(" / ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }
}
