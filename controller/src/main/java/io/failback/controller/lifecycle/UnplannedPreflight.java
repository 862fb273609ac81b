package io.failback.controller.lifecycle;

import com.google.protobuf.util.Durations;
import io.failback.proto.v1.PreflightProblem;
import io.failback.proto.v1.PreflightReport;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.RecoveryPointPreview;
import java.time.Duration;
import java.time.Instant;

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
    Instant now = context.clock().instant();
    for (String vmId : targets.vmIds()) {
      ProtectedItem item;
      try {
        item = context.items().requireAction(vmId, OperatorAction.UNPLANNED_FAILOVER);
      } catch (NotFoundException | IllegalTransitionException e) {
        report.addProblems(problem(vmId, "state", e.getMessage()));
        continue;
      }
      if (context.cloud().get(item.getCloudVmId()).isEmpty()) {
        report.addProblems(problem(item.getVmId(), "cloud_vm_missing", "the cloud replica "
            + item.getCloudVmId() + " of " + item.getVmName() + " is gone; an unplanned"
            + " failover would have nothing to start"));
        continue;
      }
      report.addRecoveryPoints(preview(item, now));
    }
    return report.build();
  }

  private RecoveryPointPreview preview(ProtectedItem item, Instant now) {
    Instant point = Instant.ofEpochSecond(item.getLastRecoveryPoint().getSeconds(),
        item.getLastRecoveryPoint().getNanos());
    RecoveryPointPreview.Builder preview = RecoveryPointPreview.newBuilder()
        .setVmId(item.getVmId()).setVmName(item.getVmName())
        .setRecoveryPoint(item.getLastRecoveryPoint())
        .setAge(Durations.fromMillis(Math.max(0, Duration.between(point, now).toMillis())))
        .setOnPremHost(item.getOnPremHost())
        .setHostOnline(context.hosts().isOnline(item.getOnPremHost()));
    if (item.hasReplicaWrittenSince()) {
      preview.setReplicaWrittenSince(item.getReplicaWrittenSince())
          .setReplicaWritesUndoable(item.getReplicaWritesUndoable());
    }
    return preview.build();
  }

  private static PreflightProblem problem(String vmId, String check, String message) {
    return PreflightProblem.newBuilder().setVmId(vmId).setCheck(check).setMessage(message)
        .build();
  }
}
