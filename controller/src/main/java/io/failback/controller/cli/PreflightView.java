package io.failback.controller.cli;

import com.google.protobuf.util.Timestamps;
import io.failback.common.text.ByteText;
import io.failback.common.text.DurationText;
import io.failback.proto.v1.FailoverEstimate;
import io.failback.proto.v1.PreflightProblem;
import io.failback.proto.v1.PreflightReport;
import io.failback.proto.v1.RecoveryPointPreview;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * How the CLI shows a pre-flight: every problem, or the estimate and the recommendation; for
 * an unplanned failover, what each VM would start from.
 */
final class PreflightView {
  /** Exit status when the pre-flight found problems: scripts can stop before the real run. */
  static final int PROBLEMS_FOUND = 5;

  private PreflightView() {}

  /** Prints the report; returns the exit status. */
  static int print(PreflightReport report, PrintWriter out) {
    if (report.getProblemsCount() > 0) {
      out.printf("pre-flight: %d problem(s)%n", report.getProblemsCount());
      for (PreflightProblem problem : report.getProblemsList()) {
        out.printf("  %-20s %s  %s%n", problem.getCheck(), problem.getVmId(),
            problem.getMessage());
      }
      recoveryPoints(report, out);
      out.flush();
      return PROBLEMS_FOUND;
    }
    FailoverEstimate e = report.getEstimate();
    out.println("pre-flight: no problems");
    if (report.hasEstimate()) {
      out.printf(Locale.ROOT, "  sampled %d blocks: %d differ, %d not zero in the cloud%n",
          e.getBlocksSampled(), e.getBlocksSampledDiffering(), e.getBlocksSampledNonZero());
      out.printf(Locale.ROOT, "  sync before failover: %s to send, %s to checksum, ~%s%n",
          ByteText.human(e.getBytesToSendSyncBefore()),
          ByteText.human(e.getBytesChecksummedSyncBefore()),
          JobView.seconds(e.getDurationSyncBefore()));
      out.printf(Locale.ROOT, "  full download:        %s to send, ~%s%n",
          ByteText.human(e.getBytesToSendFullDownload()),
          JobView.seconds(e.getDurationFullDownload()));
      out.printf(Locale.ROOT, "  sending at %s/s (%s), checksums at %s/s (%s), fixed %s%n",
          ByteText.human((long) e.getLinkBytesPerSecond()),
          e.getLinkRateMeasured() ? "measured" : "assumed; no transfer measured yet",
          ByteText.human((long) e.getChecksumBytesPerSecond()),
          e.getChecksumRateMeasured() ? "measured" : "assumed", JobView.seconds(e.getFixedCost()));
      out.printf("  recommended: --data-sync %s (%s)%n",
          e.getRecommended() == io.failback.proto.v1.DataSync.FULL_DOWNLOAD ? "full" : "before",
          e.getRecommendation());
    }
    recoveryPoints(report, out);
    out.flush();
    return 0;
  }

  /** An unplanned failover's: what each VM would start from, and what that means. */
  private static void recoveryPoints(PreflightReport report, PrintWriter out) {
    for (RecoveryPointPreview p : report.getRecoveryPointsList()) {
      out.printf("  %s (%s): starts from the recovery point of %s, %s old%n", p.getVmName(),
          p.getVmId(), Timestamps.toString(p.getRecoveryPoint()), DurationText.format(
              java.time.Duration.ofSeconds(p.getAge().getSeconds())));
      out.println(p.getHostOnline()
          ? "    host " + p.getOnPremHost() + " is online: the on-prem VM is stopped first"
          : "    host " + p.getOnPremHost() + " is offline: make sure the on-prem VM is off"
              + " (never two live copies)");
      if (p.hasReplicaWrittenSince()) {
        out.println("    a replication begun at " + Timestamps.toString(p.getReplicaWrittenSince())
            + " has not finished: it is stopped, and " + (p.getReplicaWritesUndoable()
                ? "what it overwrote is put back first"
                : "the copy starts from disks that are neither that recovery point nor a later"
                    + " one; check its file systems"));
      }
    }
  }
}
