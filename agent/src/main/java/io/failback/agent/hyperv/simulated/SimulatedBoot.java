package io.failback.agent.hyperv.simulated;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a simulated host runs its VMs for real: each start boots {@code kernel} and {@code initrd}
 * under QEMU with the VM's disks attached (see {@code agent/SIMULATED-HOST.md}, "Booting VMs").
 *
 * @param qemu the system emulator to run, a name on the PATH or a path
 * @param accelerator {@code tcg} (emulation: works everywhere, slowly) or {@code kvm}
 * @param shutdownTimeout how long a guest may take to power off after the ACPI power button
 *     before its QEMU is killed
 */
public record SimulatedBoot(Path kernel, Path initrd, String qemu, String accelerator,
    Duration shutdownTimeout) {
  public static final String DEFAULT_QEMU = "qemu-system-x86_64";
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofMinutes(5);

  public SimulatedBoot {
    checkNotNull(kernel, "kernel");
    checkNotNull(initrd, "initrd");
    checkArgument(qemu != null && !qemu.isBlank(), "no QEMU executable named");
    checkArgument("tcg".equals(accelerator) || "kvm".equals(accelerator),
        "accelerator %s is neither tcg nor kvm", accelerator);
    checkArgument(!shutdownTimeout.isNegative(), "negative shutdown timeout");
    kernel = kernel.toAbsolutePath();
    initrd = initrd.toAbsolutePath();
  }

  /** Boots with TCG, which needs no hardware virtualization, and the default timeout. */
  public static SimulatedBoot of(Path kernel, Path initrd) {
    return new SimulatedBoot(kernel, initrd, DEFAULT_QEMU, "tcg", DEFAULT_SHUTDOWN_TIMEOUT);
  }

  public SimulatedBoot withAccelerator(String name) {
    return new SimulatedBoot(kernel, initrd, qemu, name, shutdownTimeout);
  }

  public SimulatedBoot withQemu(String executable) {
    return new SimulatedBoot(kernel, initrd, executable, accelerator, shutdownTimeout);
  }

  public SimulatedBoot withShutdownTimeout(Duration timeout) {
    return new SimulatedBoot(kernel, initrd, qemu, accelerator, timeout);
  }
}
