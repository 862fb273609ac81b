package io.failback.controller.cli;

import static io.failback.controller.cli.JobView.seconds;

import io.failback.proto.v1.DowntimePrediction;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobTask;
import java.io.PrintWriter;

/** How the CLI shows downtime: predicted, and measured next to it once there is one. */
final class DowntimeView {
  private DowntimeView() {}

  /** The whole job's line, if it has a prediction or a measurement. */
  static void job(Job job, PrintWriter out) {
    int manual = job.getPredictedManualActions();
    String predicted = !job.hasPredictedDowntime() ? "" : seconds(job.getPredictedDowntime())
        + (manual == 0 ? "" : ", plus the operator's time at " + manual + " manual action"
            + (manual > 1 ? "s" : ""));
    if (job.hasDowntime()) {
      out.printf("  downtime %s%s%n", seconds(job.getDowntime()),
          predicted.isEmpty() ? "" : " (predicted " + predicted + ")");
    } else if (!predicted.isEmpty()) {
      out.printf("  predicted downtime %s%n", predicted);
    }
  }

  /** A VM task's lines. */
  static void task(JobTask task, PrintWriter out) {
    if (task.hasDowntime()) {
      out.printf("    downtime %s%s%n", seconds(task.getDowntime()),
          task.hasPredictedDowntime() ? " (predicted " + seconds(task.getPredictedDowntime())
              + ")" : "");
    } else if (task.hasPredictedDowntime()) {
      out.printf("    predicted downtime %s%n", seconds(task.getPredictedDowntime()));
    }
    if (task.hasDowntimePrediction()) {
      out.printf("      %s%n", breakdown(task.getDowntimePrediction()));
    }
  }

  /** e.g. "= cloud VM stop 0.2 s + phase 2 1.1 s (12.0 MiB at 40.0 MiB/s + 0.3 s) + ...". */
  static String breakdown(DowntimePrediction p) {
    return "= cloud VM stop " + seconds(p.getStop()) + " + phase 2 " + seconds(p.getTransfer())
        + " (" + Sizes.human(p.getPendingBytes()) + " at "
        + Sizes.human((long) p.getSendBytesPerSecond()) + "/s + fixed "
        + seconds(p.getFixedCost()) + ") + VM start " + seconds(p.getStart())
        + " + waiting for the other VMs " + seconds(p.getWaiting())
        + (p.getDefaultsCount() == 0 ? ""
            : "; not measured yet, defaults for: " + String.join(", ", p.getDefaultsList()));
  }
}
