package io.failback.controller.cli;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.failback.common.text.ByteText;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.JobTask;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** How the CLI shows a job: a summary, the timeline and a progress bar. */
final class JobView {
  private static final int BAR = 30;

  private JobView() {}

  /** {@code line} cut to {@code columns} characters, its end marked with "…" when cut. */
  static String fit(String line, int columns) {
    if (columns < 2 || line.codePointCount(0, line.length()) <= columns) {
      return line;
    }
    return line.substring(0, line.offsetByCodePoints(0, columns - 1)) + "…";
  }

  static String summary(Job job) {
    return "job " + job.getId() + "  " + job.getKind() + "  " + state(job)
        + (job.getDirection().getNumber() > 0 ? "  " + job.getDirection() : "")
        + (job.getRecoveryPlan().isEmpty() ? "" : "  plan " + job.getRecoveryPlan() + " ("
            + job.getGroupsFinished() + " of " + job.getGroupsTotal() + " groups finished)")
        + (job.getAllowedActionsCount() > 0
            ? "  next: " + CliHints.actions(job.getAllowedActionsList()).replace(",", ", ") : "")
        + (job.getManualAction().isEmpty() ? ""
            : "\n  manual action: " + job.getManualAction());
  }

  private static String state(Job job) {
    return job.getState().name().replace("JOB_", "");
  }

  static void details(Job job, PrintWriter out) {
    out.println(summary(job));
    if (job.hasProgress()) {
      out.printf("  progress %s%n", bar(job.getProgress()));
    }
    passes(job, out);
    if (job.hasBandwidth()) {
      out.printf("  bandwidth %s%n", bandwidth(job));
    }
    DowntimeView.job(job, out);
    for (JobTask task : job.getTasksList()) {
      // A VM's own task carries no bytes: its disks' tasks show the progress.
      out.printf("  task %s %s  %s  %s%n", task.getVmId(),
          task.getDiskPath().isEmpty() ? "" : task.getDiskPath(),
          task.getState().name().replace("JOB_", ""),
          task.hasProgress() ? bar(task.getProgress()) : task.getStep());
      DowntimeView.task(task, out);
      task.getPhasesList().forEach(phase -> out.printf(
          "    %-13s %d blocks sent, %d zero, %d equal; %s over the link%n", phase.getPhase(),
          phase.getProgress().getBlocksSent(), phase.getProgress().getBlocksZero(),
          phase.getProgress().getBlocksEqual(),
          ByteText.human(phase.getProgress().getBytesOnWire())));
      if (!task.getSourceDigest().isEmpty()) {
        out.printf("    digests source %s target %s%n", task.getSourceDigest(),
            task.getTargetDigest());
      }
      if (!task.getError().isEmpty()) {
        out.printf("    error %s%n", task.getError());
      }
    }
    for (JobStep step : job.getTimelineList()) {
      out.printf("  %s  %s  %s%n", Timestamps.toString(step.getAt()), step.getVmId(),
          step.getDescription());
    }
    job.getErrorsList().forEach(e -> out.printf("  error: %s%n", e));
    verdict(job, out);
    out.flush();
  }

  /**
   * What the job's finished passes moved over the link, every disk together: the progress line
   * shows only the pass running or last run. "  passes   phase 1 24.6 MiB, verify pass 262.4
   * KiB, phase 2 3.6 MiB; 28.5 MiB in all".
   */
  private static void passes(Job job, PrintWriter out) {
    Map<String, Long> wire = new LinkedHashMap<>();
    for (JobTask task : job.getTasksList()) {
      task.getPhasesList().forEach(phase -> wire.merge(phase.getPhase(),
          phase.getProgress().getBytesOnWire(), Long::sum));
    }
    if (!wire.isEmpty()) {
      out.printf("  passes   %s; %s in all%n", wire.entrySet().stream()
          .map(e -> e.getKey() + " " + ByteText.human(e.getValue()))
          .collect(Collectors.joining(", ")),
          ByteText.human(wire.values().stream().mapToLong(Long::longValue).sum()));
    }
  }

  /** For a finished failback: whether every on-prem disk equals the cloud disk at shutdown. */
  private static void verdict(Job job, PrintWriter out) {
    if (job.getDirection() != io.failback.proto.v1.FailoverDirection.CLOUD_TO_ON_PREM
        || job.getState() != io.failback.proto.v1.JobState.JOB_SUCCEEDED) {
      return;
    }
    for (JobTask task : job.getTasksList()) {
      if (task.getDiskPath().isEmpty() || task.getSourceDigest().isEmpty()) {
        continue;
      }
      boolean equal = task.getSourceDigest().equals(task.getTargetDigest());
      out.printf("on-prem disk == cloud disk at shutdown: %s (digest %s)  %s%n",
          equal ? "yes" : "NO", task.getTargetDigest(), task.getDiskPath());
    }
  }

  /** One line: percent bar, bytes settled of total, rate and ETA. */
  static String bar(JobProgress progress) {
    long total = progress.getBytesTotal();
    long done = progress.getBytesScanned();
    double fraction = total == 0 ? 0 : Math.min(1, (double) done / total);
    int filled = (int) Math.round(fraction * BAR);
    return String.format(Locale.ROOT, "[%s%s] %3.0f%% %s/%s  sent %s  %s/s  ETA %s",
        "#".repeat(filled), ".".repeat(BAR - filled), fraction * 100, ByteText.human(done),
        ByteText.human(total), ByteText.human(progress.getBytesOnWire()),
        ByteText.human((long) progress.getBytesPerSecond()),
        progress.hasEta() ? seconds(progress.getEta()) : "-");
  }

  /** "limit 100 Mbit/s (host hv-01 (always)), achieved 98.7 Mbit/s". */
  static String bandwidth(Job job) {
    var bandwidth = job.getBandwidth();
    return "limit " + BandwidthCommands.rate(bandwidth.getLimitBitsPerSecond())
        + (bandwidth.getLimitBitsPerSecond() > 0 ? " (" + bandwidth.getLimitedBy() + ")" : "")
        + ", achieved " + (bandwidth.getAchievedBitsPerSecond() > 0
            ? BandwidthCommands.rate(bandwidth.getAchievedBitsPerSecond()) : "0 bit/s");
  }

  static String seconds(com.google.protobuf.Duration duration) {
    return String.format(Locale.ROOT, "%.1f s", Durations.toMillis(duration) / 1000.0);
  }
}
