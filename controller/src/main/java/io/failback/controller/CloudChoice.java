package io.failback.controller;

import static com.google.common.base.Preconditions.checkNotNull;

import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.LocalDirectoryCloud;
import io.failback.controller.cloud.kvm.KvmCloud;
import io.failback.controller.cloud.kvm.KvmCloudOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Which cloud the controller fails over to, and how to reach it.
 *
 * @param cloudDir the cloud's folder; null for the default below the state folder ({@code
 *     cloud} for the local-directory cloud, {@code kvm-cloud} for KVM)
 * @param libvirtUri the KVM cloud's libvirt connection
 * @param kvmDomainType {@code kvm}, or {@code qemu} (TCG) where KVM is missing or broken
 * @param kvmShutdownTimeout how long a KVM guest gets after the ACPI button before a hard stop
 * @param kvmBoot how KVM VMs boot at each start (their own disks, unless a test or demo boots a
 *     kernel of its own)
 */
public record CloudChoice(Kind kind, Path cloudDir, String libvirtUri, String kvmDomainType,
    Duration kvmShutdownTimeout, KvmCloudOptions.BootPolicy kvmBoot) {
  /** The cloud implementations. */
  public enum Kind {
    /** The embedded local-directory cloud: simulated VMs (the default). */
    LOCAL_DIR,
    /** libvirt domains with qcow2 disks: real VMs under QEMU/KVM. */
    KVM
  }

  public CloudChoice {
    checkNotNull(kind, "kind");
    checkNotNull(libvirtUri, "libvirtUri");
    checkNotNull(kvmBoot, "kvmBoot");
  }

  /** KVM VMs booting their own disks. */
  public CloudChoice(Kind kind, Path cloudDir, String libvirtUri, String kvmDomainType,
      Duration kvmShutdownTimeout) {
    this(kind, cloudDir, libvirtUri, kvmDomainType, kvmShutdownTimeout, vm -> Optional.empty());
  }

  /** The embedded local-directory cloud in {@code <state-dir>/cloud}. */
  public static CloudChoice localDirectory() {
    return new CloudChoice(Kind.LOCAL_DIR, null, "qemu:///system", "kvm",
        KvmCloudOptions.DEFAULT_SHUTDOWN_TIMEOUT);
  }

  Cloud open(Path stateDir, Clock clock) throws CloudException {
    if (kind == Kind.LOCAL_DIR) {
      return LocalDirectoryCloud.open(cloudDir != null ? cloudDir : stateDir.resolve("cloud"),
          clock);
    }
    KvmCloudOptions options = new KvmCloudOptions(libvirtUri,
        cloudDir != null ? cloudDir : stateDir.resolve("kvm-cloud"), kvmDomainType,
        kvmShutdownTimeout, kvmBoot);
    return KvmCloud.open(options, clock);
  }

  /**
   * Which cloud this is, for the controller lease: a standby must drive the same cloud as the
   * active controller. A folder, or a libvirt URI without a host, is this machine's only, so
   * the machine's name is part of it: two machines with such clouds are two clouds.
   */
  String identity(Path stateDir) {
    String machine = machineName();
    if (kind == Kind.LOCAL_DIR) {
      Path dir = cloudDir != null ? cloudDir : stateDir.resolve("cloud");
      return "local-dir " + machine + ":" + dir.toAbsolutePath().normalize();
    }
    String host = java.net.URI.create(libvirtUri).getHost();
    return "kvm " + (host == null || host.isEmpty() ? machine + ":" : "") + libvirtUri;
  }

  /** This machine's name, as the lease's readers know it. */
  static String machineName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "unknown-host";
    }
  }
}
