package io.failback.controller.lifecycle;

import com.google.protobuf.util.Durations;
import io.failback.proto.v1.DowntimePrediction;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's downtime: predicted live while it waits for CompleteFailover (each VM's and the whole
 * job's, from what the cloud VMs write meanwhile), kept as it stood when CompleteFailover came,
 * and measured once the target VMs run, so the job shows both.
 *
 * <p>Threading: refreshes run on the lifecycle's ticker and {@link #freeze} on the job's
 * thread; one lock orders them, so the frozen prediction is the last one written.
 */
final class JobDowntime {
  private static final Logger log = LoggerFactory.getLogger(JobDowntime.class);
  static final Duration REFRESH = Duration.ofSeconds(1);

  private final LifecycleContext context;
  private final String jobId;
  private final List<Targets.Group> groups;
  private final Map<String, VmWork> works;
  /** Whether the job's downtime is measured: a planned failover's, whichever way. */
  private final boolean measured;
  /** What was last written, so that a refresh that changes nothing publishes nothing. */
  private Map<String, DowntimePrediction> written = Map.of();
  private com.google.protobuf.Duration writtenJob;
  private int writtenManualActions;
  private List<String> predicted = List.of();
  private boolean predictionFailed;
  private ScheduledFuture<?> refreshing;
  private Instant firstOff;
  /** The operator's time at the plan's manual actions; only the job's thread adds to it. */
  private Duration manualActionTime = Duration.ZERO;

  /**
   * @param groups the groups as the job runs them
   * @param measured whether to measure the job's downtime (an unplanned failover's began
   *     with the disaster, before the job)
   */
  JobDowntime(LifecycleContext context, String jobId, List<Targets.Group> groups,
      Map<String, VmWork> works, boolean measured) {
    this.context = context;
    this.jobId = jobId;
    this.groups = groups;
    this.works = works;
    this.measured = measured;
  }

  /** Predicts the downtime of {@code vmIds} now and then every {@link #REFRESH}. */
  synchronized void predictWhileWaiting(List<String> vmIds) {
    predicted = List.copyOf(vmIds);
    refresh();
    refreshing = context.ticker().scheduleAtFixedRate(this::refresh, REFRESH.toMillis(),
        REFRESH.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops the refreshes after a last one: the prediction stands as the operator acted. */
  synchronized void freeze() {
    if (refreshing != null) {
      refreshing.cancel(false);
      refreshing = null;
      refresh();
    }
    predicted = List.of();
  }

  /**
   * The source VMs were stopped; the job's downtime began at {@code firstOff}, when the first
   * of them began to stop (maybe before a restart the job continued after).
   */
  void sourcesStopped(Instant firstOff) {
    this.firstOff = firstOff;
  }

  /** The job waited {@code took} for the operator at a manual action. */
  void manualAction(Duration took) {
    manualActionTime = manualActionTime.plus(took);
  }

  /** The target VMs were started; the job's downtime is recorded if {@code all} of them. */
  void targetsStarted(boolean all) {
    if (measured && all && firstOff != null) {
      Duration took = Duration.between(firstOff, context.clock().instant());
      FlowSupport.quietly("recording the downtime of job " + jobId,
          () -> context.jobs().downtime(jobId, Durations.fromNanos(took.toNanos()),
              Durations.fromNanos(manualActionTime.toNanos())));
    }
  }

  private synchronized void refresh() {
    try {
      Map<String, DowntimeForecast.Costs> costs = new LinkedHashMap<>();
      for (String vmId : predicted) {
        Optional<DowntimeForecast.Costs> vm = works.get(vmId).downtimeCosts();
        vm.ifPresent(c -> costs.put(vmId, c));
      }
      if (costs.isEmpty()) {
        return;
      }
      DowntimeForecast.Result result = DowntimeForecast.of(groups, costs);
      Map<String, DowntimePrediction> vms = new LinkedHashMap<>();
      result.vms().forEach((vmId, vm) -> vms.put(vmId, proto(vm)));
      com.google.protobuf.Duration job = millis(result.job());
      if (!vms.equals(written) || !job.equals(writtenJob)
          || result.manualActions() != writtenManualActions) {
        context.jobs().predictedDowntime(jobId, vms, job, result.manualActions());
        written = vms;
        writtenJob = job;
        writtenManualActions = result.manualActions();
      }
    } catch (Exception e) {
      // The job may have ended meanwhile (a cancel): the next refresh, if any, tries again.
      // Said once at warn: a prediction that never comes must not go unnoticed (it did, on KVM).
      String message = "downtime prediction of job " + jobId + " failed: " + e.getMessage();
      if (predictionFailed) {
        log.debug(message);
      } else {
        predictionFailed = true;
        log.warn(message);
      }
    }
  }

  private static DowntimePrediction proto(DowntimeForecast.VmDowntime vm) {
    DowntimeForecast.Costs c = vm.costs();
    return DowntimePrediction.newBuilder()
        .setTotal(millis(vm.total()))
        .setStop(millis(c.stop()))
        .setTransfer(millis(c.transfer()))
        .setStart(millis(c.start()))
        .setWaiting(millis(vm.waiting()))
        .setPendingBytes(c.pendingBytes())
        .setSendBytesPerSecond(c.sendRate())
        .setFixedCost(millis(c.fixedCost()))
        .addAllDefaults(c.defaults())
        .setManualActions(vm.manualActions())
        .build();
  }

  /** Whole milliseconds: finer than that would publish a new prediction at every refresh. */
  private static com.google.protobuf.Duration millis(Duration d) {
    return Durations.fromMillis(d.toMillis());
  }
}
