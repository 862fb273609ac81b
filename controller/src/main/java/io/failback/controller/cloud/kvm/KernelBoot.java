package io.failback.controller.cloud.kvm;

import io.failback.controller.cloud.CloudVm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Every cloud VM boots a kernel and initramfs of the controller's host instead of its own
 * disks: for VMs whose disks hold no operating system (a simulated on-prem host's, a demo's).
 * The kernel command line is read from {@code argsFile} at each start, so a demo can tell the
 * guest what to do next without restarting the controller.
 */
public record KernelBoot(Path kernel, Path initrd, Optional<Path> argsFile)
    implements KvmCloudOptions.BootPolicy {
  /** What the guest gets when there is no arguments file: a serial console. */
  static final String DEFAULT_ARGS = "console=ttyS0";

  /**
   * Parses {@code KERNEL,INITRD[,ARGS_FILE]}.
   *
   * @throws IllegalArgumentException naming what is wrong (missing files, wrong shape)
   */
  public static KernelBoot parse(String spec) {
    List<String> parts = List.of(spec.split(",", -1));
    if (parts.size() < 2 || parts.size() > 3 || parts.stream().anyMatch(String::isBlank)) {
      throw new IllegalArgumentException("expected KERNEL,INITRD[,ARGS_FILE], got '" + spec
          + "'");
    }
    Path kernel = Path.of(parts.get(0));
    Path initrd = Path.of(parts.get(1));
    for (Path file : List.of(kernel, initrd)) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(file + " is not a file");
      }
    }
    return new KernelBoot(kernel, initrd,
        parts.size() == 3 ? Optional.of(Path.of(parts.get(2))) : Optional.empty());
  }

  @Override
  public Optional<DirectKernelBoot> bootFor(CloudVm vm) {
    String args = DEFAULT_ARGS;
    if (argsFile.isPresent() && Files.exists(argsFile.get())) {
      try {
        String line = Files.readString(argsFile.get(), StandardCharsets.UTF_8).strip();
        args = line.isEmpty() ? DEFAULT_ARGS : line.lines().findFirst().orElse(DEFAULT_ARGS);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the kernel arguments " + argsFile.get(), e);
      }
    }
    return Optional.of(new DirectKernelBoot(kernel, initrd, args));
  }
}
