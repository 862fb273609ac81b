package io.failback.controller.cli;

import static io.failback.controller.cli.JobView.seconds;

import com.google.protobuf.util.Durations;
import io.failback.common.text.ByteText;
import io.failback.proto.v1.DowntimePrediction;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobTask;
import java.io.PrintWriter;

/** How the CLI shows downtime: predicted, and measured next to it once there is one. */
final class DowntimeView {
  private DowntimeView() {}

  /** The whole job's line, if it has a prediction or a measurement. */
  static void job(Job job, PrintWriter out) {
    String predicted = !job.hasPredictedDowntime() ? ""
        : "predicted " + seconds(job.getPredictedDowntime())
            + operator(job.getPredictedManualActions());
    if (job.hasDowntime()) {
      boolean manual = Durations.toNanos(job.getManualActionTime()) > 0;
      out.printf("  downtime %s%s%s%n", seconds(job.getDowntime()),
          manual ? ", of which " + seconds(job.getManualActionTime()) + " at manual actions"
              : "", predicted.isEmpty() ? "" : " (" + predicted + ")");
    } else if (!predicted.isEmpty()) {
      out.printf("  %s%n", predicted.replaceFirst("^predicted", "predicted downtime"));
    }
  }

  /** A VM task's lines. */
  static void task(JobTask task, PrintWriter out) {
    String predicted = !task.hasPredictedDowntime() ? ""
        : "predicted " + seconds(task.getPredictedDowntime())
            + operator(task.getDowntimePrediction().getManualActions());
    if (task.hasDowntime()) {
      out.printf("    downtime %s%s%n", seconds(task.getDowntime()),
          predicted.isEmpty() ? "" : " (" + predicted + ")");
    } else if (!predicted.isEmpty()) {
      out.printf("    %s%n", predicted.replaceFirst("^predicted", "predicted downtime"));
    }
    if (task.hasDowntimePrediction()) {
      out.printf("      %s%n", breakdown(task.getDowntimePrediction()));
    }
  }

  /** What a prediction leaves to the operator. */
  private static String operator(int manualActions) {
    return manualActions == 0 ? "" : ", plus the operator's time at " + manualActions
        + " manual action" + (manualActions > 1 ? "s" : "");
  }

  /** e.g. "= cloud VM stop 0.2 s + phase 2 1.1 s (12.0 MiB at 40.0 MiB/s + 0.3 s) + ...". */
  static String breakdown(DowntimePrediction p) {
    return "= cloud VM stop " + seconds(p.getStop()) + " + phase 2 " + seconds(p.getTransfer())
        + " (" + ByteText.human(p.getPendingBytes()) + " at "
        + ByteText.human((long) p.getSendBytesPerSecond()) + "/s + fixed "
        + seconds(p.getFixedCost()) + ") + VM start " + seconds(p.getStart())
        + " + waiting for the other VMs " + seconds(p.getWaiting())
        + (p.getDefaultsCount() == 0 ? ""
            : "; not measured yet, defaults for: " + String.join(", ", p.getDefaultsList()));
  }
}
