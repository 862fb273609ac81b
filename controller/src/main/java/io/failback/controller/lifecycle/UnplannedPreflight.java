package io.failback.controller.lifecycle;

import io.failback.proto.v1.PreflightReport;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.RecoveryPointPreview;

/**
 * UnplannedFailover's pre-flight (validate only): every problem at once, and for each VM that
 * passes what its cloud copy would start from, how old that is (the writes at stake when its
 * site is gone), and whether its host still answers (then its on-prem VM is stopped first). The
 * question an operator asks before pulling the trigger in a disaster. It reads, never writes.
 */
final class UnplannedPreflight {
  private final LifecycleContext context;

  UnplannedPreflight(LifecycleContext context) {
    this.context = context;
  }

  PreflightReport run(Targets targets) throws Exception {
    PreflightReport.Builder report = PreflightReport.newBuilder();
    for (String vmId : targets.vmIds()) {
      ProtectedItem item;
      try {
        item = context.items().requireAction(vmId, OperatorAction.UNPLANNED_FAILOVER);
      } catch (NotFoundException | IllegalTransitionException e) {
        report.addProblems(Preflight.problemOf(vmId, "state", e.getMessage()));
        continue;
      }
      if (context.cloud().get(item.getCloudVmId()).isEmpty()) {
        report.addProblems(Preflight.problemOf(item.getVmId(), "cloud_vm_missing", "the cloud"
            + " replica " + item.getCloudVmId() + " of " + item.getVmName() + " is gone; an"
            + " unplanned failover would have nothing to start"));
        continue;
      }
      report.addRecoveryPoints(preview(item));
    }
    return report.build();
  }

  /** @param item as read: a PROTECTED item's current RPO is its recovery point's age now */
  private RecoveryPointPreview preview(ProtectedItem item) {
    RecoveryPointPreview.Builder preview = RecoveryPointPreview.newBuilder()
        .setVmId(item.getVmId()).setVmName(item.getVmName())
        .setRecoveryPoint(item.getLastRecoveryPoint()).setAge(item.getCurrentRpo())
        .setOnPremHost(item.getOnPremHost())
        .setHostOnline(context.hosts().isOnline(item.getOnPremHost()));
    if (item.hasReplicaWrittenSince()) {
      preview.setReplicaWrittenSince(item.getReplicaWrittenSince())
          .setReplicaWritesUndoable(item.getReplicaWritesUndoable());
    }
    return preview.build();
  }

}
