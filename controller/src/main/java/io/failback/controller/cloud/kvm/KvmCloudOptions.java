package io.failback.controller.cloud.kvm;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import io.failback.controller.cloud.CloudVm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How to reach libvirt and where the KVM cloud keeps its disks.
 *
 * @param libvirtUri e.g. {@code qemu:///system}, or {@code qemu:///embed?root=DIR} to run the
 *     QEMU driver inside this process (no daemon)
 * @param cloudDir the folder of the VMs' qcow2 disks and console logs
 * @param domainType {@code kvm} (hardware virtualization) or {@code qemu} (TCG emulation, for
 *     hosts where KVM is missing or broken)
 * @param shutdownTimeout how long a guest gets to power off after the ACPI button before it is
 *     destroyed
 * @param boot how each start boots: empty (the default) boots the VM's own first disk
 */
public record KvmCloudOptions(String libvirtUri, Path cloudDir, String domainType,
    Duration shutdownTimeout, BootPolicy boot) {
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofMinutes(2);

  public KvmCloudOptions {
    checkNotNull(libvirtUri, "libvirtUri");
    checkNotNull(cloudDir, "cloudDir");
    checkArgument(domainType.equals("kvm") || domainType.equals("qemu"),
        "domain type %s is neither kvm nor qemu", domainType);
    checkArgument(!shutdownTimeout.isNegative(), "negative shutdown timeout");
    checkNotNull(boot, "boot");
  }

  /** Boots each VM from its own disks, with hardware virtualization. */
  public static KvmCloudOptions of(String libvirtUri, Path cloudDir) {
    return new KvmCloudOptions(libvirtUri, cloudDir, "kvm", DEFAULT_SHUTDOWN_TIMEOUT,
        vm -> Optional.empty());
  }

  public KvmCloudOptions withDomainType(String type) {
    return new KvmCloudOptions(libvirtUri, cloudDir, type, shutdownTimeout, boot);
  }

  public KvmCloudOptions withShutdownTimeout(Duration timeout) {
    return new KvmCloudOptions(libvirtUri, cloudDir, domainType, timeout, boot);
  }

  public KvmCloudOptions withBoot(BootPolicy policy) {
    return new KvmCloudOptions(libvirtUri, cloudDir, domainType, shutdownTimeout, policy);
  }

  /** Chooses, at each start, whether the VM boots a host kernel instead of its disks. */
  @FunctionalInterface
  public interface BootPolicy {
    Optional<DirectKernelBoot> bootFor(CloudVm vm);
  }
}
