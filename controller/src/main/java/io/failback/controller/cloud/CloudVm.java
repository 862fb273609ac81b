package io.failback.controller.cloud;

import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A VM in the cloud as it is now; {@code notes} say where it differs from what was asked (e.g.
 * a network adapter left unplugged), for the job to report; {@code devices}, what its disks and
 * NICs appear as to its guest from its next start on; {@code guestFamily}, its guest OS's.
 */
public record CloudVm(
    String id,
    String name,
    String sourceVmId,
    PowerState state,
    List<CloudDisk> disks,
    List<NicSpec> nics,
    Instant createdAt,
    List<String> notes,
    CloudDevices devices,
    GuestFamily guestFamily) {
  public CloudVm {
    Objects.requireNonNull(devices, "devices");
    Objects.requireNonNull(guestFamily, "guestFamily");
    disks = List.copyOf(disks);
    nics = List.copyOf(nics);
    notes = List.copyOf(notes);
  }

  /** A VM exactly as asked. */
  public CloudVm(String id, String name, String sourceVmId, PowerState state,
      List<CloudDisk> disks, List<NicSpec> nics, Instant createdAt) {
    this(id, name, sourceVmId, state, disks, nics, createdAt, List.of(), CloudDevices.VIRTIO,
        GuestFamily.OTHER);
  }

  /** This VM in another power state. */
  public CloudVm withState(PowerState next) {
    return new CloudVm(id, name, sourceVmId, next, disks, nics, createdAt, notes, devices,
        guestFamily);
  }

  /** This VM with its disks and NICs shown to its guest as {@code next}. */
  public CloudVm withDevices(CloudDevices next) {
    return new CloudVm(id, name, sourceVmId, state, disks, nics, createdAt, notes, next,
        guestFamily);
  }

  /** "'name' (id)", how messages name a VM. */
  public String label() {
    return "'" + name + "' (" + id + ")";
  }
}
