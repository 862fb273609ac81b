package io.failback.controller.agents;

import com.google.protobuf.util.Timestamps;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreException;
import io.failback.controller.store.VmOwnerRecords;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.HostFence;
import io.failback.proto.v1.VmConflict;

/** What the store keeps about a host beside its registration: its fence and VM conflicts. */
final class HostRecordsView {
  private HostRecordsView() {}

  static Host.Builder withFenceAndConflicts(Host.Builder host, ControllerStore store,
      String hostName) throws StoreException {
    store.hostFenceRecords().fence(hostName).ifPresent(fence -> host.setFence(
        HostFence.newBuilder().setFencedAt(Timestamps.fromMillis(fence.fencedAt().toEpochMilli()))
            .setFencedBy(fence.actor()).setReason(fence.reason())));
    for (VmOwnerRecords.Conflict conflict : store.vmOwnerRecords().conflicts(hostName)) {
      host.addVmConflicts(VmConflict.newBuilder().setVmId(conflict.vmId())
          .setVmName(conflict.vmName()).setOwnerHost(conflict.ownerHost())
          .setFirstSeen(Timestamps.fromMillis(conflict.firstSeen().toEpochMilli()))
          .setLastSeen(Timestamps.fromMillis(conflict.lastSeen().toEpochMilli())));
    }
    return host;
  }
}
