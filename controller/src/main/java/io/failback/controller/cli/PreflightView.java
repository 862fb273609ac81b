package io.failback.controller.cli;

import io.failback.common.text.ByteText;
import io.failback.proto.v1.FailoverEstimate;
import io.failback.proto.v1.PreflightProblem;
import io.failback.proto.v1.PreflightReport;
import java.io.PrintWriter;
import java.util.Locale;

/** How the CLI shows a pre-flight: every problem, or the estimate and the recommendation. */
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
    out.flush();
    return 0;
  }
}
