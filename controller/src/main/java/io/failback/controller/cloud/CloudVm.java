package io.failback.controller.cloud;

import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import java.time.Instant;
import java.util.List;

/** A VM in the cloud as it is now. */
public record CloudVm(
    String id,
    String name,
    String sourceVmId,
    PowerState state,
    List<CloudDisk> disks,
    List<NicSpec> nics,
    Instant createdAt) {
  public CloudVm {
    disks = List.copyOf(disks);
    nics = List.copyOf(nics);
  }

  /** This VM in another power state. */
  CloudVm withState(PowerState next) {
    return new CloudVm(id, name, sourceVmId, next, disks, nics, createdAt);
  }

  /** "'name' (id)", how messages name a VM. */
  String label() {
    return "'" + name + "' (" + id + ")";
  }
}
