package io.failback.controller.lifecycle;

import io.failback.common.text.BoundedText;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.TransferOptions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What a PlannedFailover towards the cloud does not take: the options of a failback (ignoring
 * them would run another failover than the one asked for), and VMs whose replicas no longer
 * fit their disks.
 */
final class ToCloudRequest {
  private ToCloudRequest() {}

  /** @param checked the request's items, all PROTECTED */
  static void check(Map<String, ProtectedItem> checked, DataSync dataSync, String certificate,
      TransferOptions transfer) throws InvalidArgumentException {
    String which = ItemChecks.names(checked, true) + " " + (checked.size() == 1 ? "is" : "are")
        + " " + ProtectionState.PROTECTED;
    if (transfer.getBlockSize() != 0) {
      // Its final sync runs while the VMs are down: it sends what the host tracked since the
      // last cycle, in the VM's blocks; other blocks would compare every checksum instead.
      throw new InvalidArgumentException("transfer.block_size applies to protection,"
          + " failback and reverse replication: a failover to the cloud keeps each VM's block"
          + " size, so that its final sync sends only the tracked changes; " + which);
    }
    List<String> refusals = failbackOnly(dataSync, certificate);
    if (!refusals.isEmpty()) {
      throw new InvalidArgumentException(String.join("; ", refusals) + "; " + which);
    }
  }

  /**
   * Refuses, before any on-prem VM is stopped, VMs whose disks no longer fit their replicas
   * (added, removed or resized since protection): the final sync could not write them.
   */
  static void checkShapes(LifecycleContext context, Collection<ProtectedItem> items)
      throws LifecycleException {
    List<String> mismatches = new ArrayList<>();
    for (ProtectedItem item : items) {
      ReplicaShape.mismatch(context, item, context.hosts().vm(FlowSupport.onPremVmId(item)))
          .ifPresent(mismatches::add);
    }
    if (!mismatches.isEmpty()) {
      // Each said whole: they are the controller's own words, not an echo of the request.
      throw new LifecycleException("cannot fail over to the cloud: "
          + BoundedText.list(mismatches, m -> m) + "; " + ReplicaShape.REMEDY);
    }
  }

  /** The failback options among these, each said as a refusal; empty when there are none. */
  static List<String> failbackOnly(DataSync dataSync, String certificate) {
    List<String> refusals = new ArrayList<>();
    if (dataSync == DataSync.FULL_DOWNLOAD) {
      refusals.add("data_sync FULL_DOWNLOAD applies to a failback only: a failover to the cloud"
          + " sends what changed since the last delta cycle");
    }
    if (!certificate.isEmpty()) {
      refusals.add("encryption_certificate applies to a failback only: it names the on-prem"
          + " agent's certificate that block payloads coming home are encrypted for");
    }
    return refusals;
  }
}
