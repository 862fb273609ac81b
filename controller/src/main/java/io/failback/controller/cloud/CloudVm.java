package io.failback.controller.cloud;

import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import java.time.Instant;
import java.util.List;

/**
 * A VM in the cloud as it is now; {@code notes} say where it differs from what was asked (e.g.
 * a network adapter left unplugged), for the job to report.
 */
public record CloudVm(
    String id,
    String name,
    String sourceVmId,
    PowerState state,
    List<CloudDisk> disks,
    List<NicSpec> nics,
    Instant createdAt,
    List<String> notes) {
  public CloudVm {
    disks = List.copyOf(disks);
    nics = List.copyOf(nics);
    notes = List.copyOf(notes);
  }

  /** A VM exactly as asked. */
  public CloudVm(String id, String name, String sourceVmId, PowerState state,
      List<CloudDisk> disks, List<NicSpec> nics, Instant createdAt) {
    this(id, name, sourceVmId, state, disks, nics, createdAt, List.of());
  }

  /** This VM in another power state. */
  public CloudVm withState(PowerState next) {
    return new CloudVm(id, name, sourceVmId, next, disks, nics, createdAt, notes);
  }

  /** "'name' (id)", how messages name a VM. */
  public String label() {
    return "'" + name + "' (" + id + ")";
  }
}
