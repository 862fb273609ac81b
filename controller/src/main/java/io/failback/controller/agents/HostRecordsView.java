package io.failback.controller.agents;

import com.google.common.base.Strings;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreException;
import io.failback.controller.store.StoredHost;
import io.failback.controller.store.VmOwnerRecords;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.HostFence;
import io.failback.proto.v1.HostStatus;
import io.failback.proto.v1.VmConflict;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** A host as the API shows it: its registration, its live stream, its fence and conflicts. */
final class HostRecordsView {
  private HostRecordsView() {}

  /**
   * {@code stored} as the API shows it, online while it has a live stream (that stream's last
   * heartbeat), with its fence and VM conflicts.
   */
  static Host.Builder of(StoredHost stored, Optional<Instant> liveHeartbeat,
      Optional<Instant> certificateNotAfter, String refused, Optional<Duration> roundTrip,
      ControllerStore store) throws StoreException {
    Instant lastSeen = liveHeartbeat.filter(beat -> beat.isAfter(stored.lastSeen()))
        .orElse(stored.lastSeen());
    Host.Builder host = Host.newBuilder()
        .setName(stored.name())
        .setStatus(liveHeartbeat.isPresent() ? HostStatus.ONLINE : HostStatus.OFFLINE)
        .setLastSeen(Timestamps.fromMillis(lastSeen.toEpochMilli()))
        .setRegisteredAt(Timestamps.fromMillis(stored.registeredAt().toEpochMilli()))
        .setInventory(stored.inventory())
        .setRemoteAddress(Strings.nullToEmpty(stored.remoteAddress()))
        .setRegistrationRefused(Strings.nullToEmpty(refused));
    roundTrip.ifPresent(rtt -> host.setRoundTrip(Durations.fromNanos(rtt.toNanos())));
    certificateNotAfter.ifPresent(notAfter -> host
        .setCertificateNotAfter(Timestamps.fromMillis(notAfter.toEpochMilli())));
    return withFenceAndConflicts(host, store, stored.name());
  }

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
