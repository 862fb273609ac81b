package io.failback.controller.cloud;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.List;

/**
 * What to create: a VM named {@code name} that is the cloud copy of the on-prem VM {@code
 * sourceVmId}, with new empty disks and network adapters, {@code memoryBytes} of memory and
 * {@code processorCount} virtual CPUs (0 for either: the on-prem host did not say; the cloud
 * picks its default).
 */
public record CloudVmSpec(String name, String sourceVmId, List<DiskSpec> disks,
    List<NicSpec> nics, long memoryBytes, int processorCount) {
  public CloudVmSpec {
    checkNotNull(name, "name");
    checkNotNull(sourceVmId, "sourceVmId");
    checkArgument(memoryBytes >= 0 && processorCount >= 0, "negative memory or CPUs");
    disks = List.copyOf(disks);
    nics = List.copyOf(nics);
  }

  /** A VM whose memory and CPUs the on-prem host did not say. */
  public CloudVmSpec(String name, String sourceVmId, List<DiskSpec> disks, List<NicSpec> nics) {
    this(name, sourceVmId, disks, nics, 0, 0);
  }

  /** One disk: its name, its format and its size in bytes (a positive multiple of 512). */
  public record DiskSpec(String name, DiskFormat format, long virtualSize) {
    public DiskSpec {
      checkNotNull(name, "name");
      checkNotNull(format, "format");
    }
  }

  /** One network adapter and the virtual switch it connects to. */
  public record NicSpec(String name, String switchName) {
    public NicSpec {
      checkNotNull(name, "name");
      checkNotNull(switchName, "switchName");
    }
  }
}
