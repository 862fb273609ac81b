package io.failback.controller.cloud;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkNotNull;

import java.util.List;

/**
 * What to create: a VM named {@code name} that is the cloud copy of the on-prem VM {@code
 * sourceVmId}, with new empty disks and network adapters, {@code memoryBytes} of memory and
 * {@code processorCount} virtual CPUs (0 for either: the on-prem host did not say; the cloud
 * picks its default), of Hyper-V generation {@code generation}: 2 boots through UEFI only (its
 * disk has no BIOS boot code), 1 through a BIOS, 0 when the host did not say (taken as 1); its
 * disks and NICs appear to the guest as {@code devices}; its guest OS is of {@code guestFamily}
 * (its clock and enlightenments).
 */
public record CloudVmSpec(String name, String sourceVmId, List<DiskSpec> disks,
    List<NicSpec> nics, long memoryBytes, int processorCount, int generation,
    CloudDevices devices, GuestFamily guestFamily) {
  public CloudVmSpec {
    checkNotNull(name, "name");
    checkNotNull(sourceVmId, "sourceVmId");
    checkArgument(memoryBytes >= 0 && processorCount >= 0, "negative memory or CPUs");
    checkArgument(generation >= 0 && generation <= 2, "generation %s", generation);
    checkNotNull(devices, "devices");
    checkNotNull(guestFamily, "guestFamily");
    disks = List.copyOf(disks);
    nics = List.copyOf(nics);
  }

  /** A VM whose guest is not Windows. */
  public CloudVmSpec(String name, String sourceVmId, List<DiskSpec> disks, List<NicSpec> nics,
      long memoryBytes, int processorCount, int generation, CloudDevices devices) {
    this(name, sourceVmId, disks, nics, memoryBytes, processorCount, generation, devices,
        GuestFamily.OTHER);
  }

  /** A VM with paravirtual (virtio) devices. */
  public CloudVmSpec(String name, String sourceVmId, List<DiskSpec> disks, List<NicSpec> nics,
      long memoryBytes, int processorCount, int generation) {
    this(name, sourceVmId, disks, nics, memoryBytes, processorCount, generation,
        CloudDevices.VIRTIO);
  }

  /** A VM whose generation the on-prem host did not say. */
  public CloudVmSpec(String name, String sourceVmId, List<DiskSpec> disks, List<NicSpec> nics,
      long memoryBytes, int processorCount) {
    this(name, sourceVmId, disks, nics, memoryBytes, processorCount, 0);
  }

  /** A VM whose memory, CPUs and generation the on-prem host did not say. */
  public CloudVmSpec(String name, String sourceVmId, List<DiskSpec> disks, List<NicSpec> nics) {
    this(name, sourceVmId, disks, nics, 0, 0, 0);
  }

  /** Whether the VM boots through UEFI (a generation 2 Hyper-V VM). */
  public boolean uefi() {
    return generation == 2;
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
