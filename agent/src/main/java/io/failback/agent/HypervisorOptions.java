package io.failback.agent;

import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.hyperv.powershell.PowerShellHypervisor;
import io.failback.agent.hyperv.simulated.SimulatedBoot;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.cli.Platform;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/** The options that choose and configure the hypervisor driver; a picocli mixin. */
final class HypervisorOptions {
  /** Which driver: a real Hyper-V host through PowerShell, or a simulated host directory. */
  enum Kind { hyperv, simulated }

  @Option(names = "--hypervisor",
      description = "hyperv (PowerShell) or simulated (a host directory); default: hyperv on"
          + " Windows, simulated elsewhere.")
  Kind kind;

  @Option(names = "--host-dir",
      description = "Simulated Hyper-V host directory (see SIMULATED-HOST.md); simulated only.")
  Path hostDir;

  @Option(names = "--simulated-boot", split = ",", paramLabel = "KERNEL,INITRD",
      description = "Simulated host only: run each VM for real under QEMU, booting this Linux"
          + " kernel and initramfs with the VM's disks attached (virtio, vda, vdb, ...); the"
          + " kernel command line is the VM folder's boot-args file. Without it a simulated VM"
          + " runs only as the state word in its vm.json.")
  List<Path> simulatedBoot;

  @Option(names = "--simulated-accel", defaultValue = "tcg",
      description = "With --simulated-boot: tcg (emulation, works everywhere) or kvm"
          + " (default: ${DEFAULT-VALUE}).")
  String simulatedAccel;

  @Option(names = "--qemu", defaultValue = SimulatedBoot.DEFAULT_QEMU,
      description = "With --simulated-boot: the QEMU system emulator (default:"
          + " ${DEFAULT-VALUE}).")
  String qemu;

  @Option(names = "--powershell", defaultValue = "powershell.exe",
      description = "PowerShell executable for the hyperv driver: powershell.exe (5.1), pwsh"
          + " (7) or a full path (default: ${DEFAULT-VALUE}).")
  String powershell;

  @Option(names = "--shutdown-timeout", defaultValue = "300",
      description = "Seconds a guest may take to shut down before its VM is turned off"
          + " (default: ${DEFAULT-VALUE}).")
  long shutdownSeconds;

  @Option(names = "--hyperv-command-timeout", defaultValue = "120",
      description = "Seconds any other Hyper-V command may take (default: ${DEFAULT-VALUE}).")
  long commandSeconds;

  @Option(names = "--hyperv-checkpoint-timeout", defaultValue = "600",
      description = "Seconds making, keeping or discarding a read point (a recovery checkpoint,"
          + " with the guest's VSS writers) may take (default: ${DEFAULT-VALUE}).")
  long checkpointSeconds;

  Kind kind() {
    if (kind != null) {
      return kind;
    }
    return Platform.onWindows() ? Kind.hyperv : Kind.simulated;
  }

  /** The driver these options name, keeping no state; for one-off commands. */
  HypervisorDriver driver() {
    return driver(null);
  }

  /**
   * The driver these options name, keeping its own state (Hyper-V: the reference points it
   * made) in {@code stateDir}; refuses a simulated host without its directory.
   */
  HypervisorDriver driver(Path stateDir) {
    atLeastOneSecond("--shutdown-timeout", shutdownSeconds);
    atLeastOneSecond("--hyperv-command-timeout", commandSeconds);
    atLeastOneSecond("--hyperv-checkpoint-timeout", checkpointSeconds);
    if (simulatedBoot != null && kind() != Kind.simulated) {
      throw new IllegalArgumentException("--simulated-boot is an option of the simulated"
          + " hypervisor only");
    }
    return switch (kind()) {
      case hyperv -> new PowerShellHypervisor(new PowerShellHypervisor.Options(powershell,
          Duration.ofSeconds(commandSeconds), Duration.ofSeconds(shutdownSeconds),
          Duration.ofSeconds(checkpointSeconds)), stateDir);
      case simulated -> {
        if (hostDir == null) {
          throw new IllegalArgumentException("--host-dir is required with the simulated"
              + " hypervisor (or choose --hypervisor hyperv on a Hyper-V host)");
        }
        yield simulatedBoot == null ? new SimulatedHypervisor(hostDir)
            : new SimulatedHypervisor(hostDir, simulatedBoot());
      }
    };
  }

  private static void atLeastOneSecond(String option, long seconds) {
    if (seconds < 1) {
      throw new IllegalArgumentException(option + " must be at least 1 second, got " + seconds);
    }
  }

  /** The QEMU boot of simulated VMs; {@code --shutdown-timeout} bounds the ACPI shutdown. */
  private SimulatedBoot simulatedBoot() {
    if (simulatedBoot.size() != 2) {
      throw new IllegalArgumentException("--simulated-boot takes KERNEL,INITRD, got "
          + simulatedBoot.size() + " path(s)");
    }
    return new SimulatedBoot(simulatedBoot.get(0), simulatedBoot.get(1), qemu, simulatedAccel,
        Duration.ofSeconds(shutdownSeconds));
  }

  /** Where the agent keeps its own state unless told: beside a simulated host's files. */
  Path defaultStateDir() {
    if (kind() == Kind.simulated && hostDir != null) {
      return hostDir.resolve(".agent");
    }
    throw new IllegalArgumentException("--state-dir is required with the hyperv driver");
  }
}
