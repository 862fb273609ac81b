package io.failback.controller.cloud.kvm;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.nio.file.Path;

/**
 * Boots a VM from a kernel and initramfs on the host instead of its own disks, with a kernel
 * command line for this one boot (appliance guests, such as the tests' tiny guest).
 */
public record DirectKernelBoot(Path kernel, Path initrd, String commandLine) {
  public DirectKernelBoot {
    checkNotNull(kernel, "kernel");
    checkNotNull(initrd, "initrd");
    // The command line goes into the domain XML as text; a newline would end it early.
    checkArgument(!commandLine.contains("\n"), "a kernel command line is one line");
  }
}
