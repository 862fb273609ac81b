package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobResume;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Starts the lifecycle's jobs and finds the running ones for CompleteFailover and ResumeJob. */
final class VmJobs {
  private final LifecycleContext context;
  private final Map<String, VmJob> running = new ConcurrentHashMap<>();

  VmJobs(LifecycleContext context) {
    this.context = context;
  }

  /**
   * What a job is and how it runs.
   *
   * @param waitForCompletion whether the job waits for CompleteFailover after preparing
   * @param cancellable whether the operator may cancel it (a commit may not: deleting is not
   *     undone half-way)
   * @param startsVms whether it stops and starts VMs, so that a plan's group order, delays
   *     and manual actions apply; an action that starts none acts on every VM at once
   */
  record Kind(String rpc, FailoverDirection direction, boolean waitForCompletion,
      boolean cancellable, boolean startsVms) {}

  /**
   * Creates the job, moves every VM's item into it and starts the run in the background.
   *
   * @param works every VM's work, in the order of {@code targets}
   * @param before the items as they were when checked, to put back if one cannot begin
   */
  Job launch(Kind kind, Targets targets, List<VmWork> works, Map<String, ProtectedItem> before)
      throws Exception {
    return launch(kind, targets, works, before, JobResume.getDefaultInstance());
  }

  /** Launches a job that records {@code resume}, what a restarted controller continues it by. */
  Job launch(Kind kind, Targets targets, List<VmWork> works, Map<String, ProtectedItem> before,
      JobResume resume) throws Exception {
    Map<String, List<String>> disks = new LinkedHashMap<>();
    Map<String, VmWork> byId = new LinkedHashMap<>();
    for (VmWork work : works) {
      disks.put(work.vmId(), work.diskPaths());
      byId.put(work.vmId(), work);
    }
    Job job = context.jobs().create(kind.rpc(), kind.direction(), targets.recoveryPlan(),
        disks, kind.cancellable());
    String jobId = job.getId();
    if (!resume.equals(JobResume.getDefaultInstance())) {
      context.jobs().editResume(jobId, r -> r.mergeFrom(resume));
    }
    VmJob run = new VmJob(context, jobId, canonical(targets, byId), byId, kind,
        VmJob.Continuation.NONE);
    if (kind.cancellable()) {
      context.jobs().onCancel(jobId, run::cancel);
    }
    int begun = 0;
    try {
      for (VmWork work : works) {
        work.begin(jobId);
        begun++;
      }
    } catch (Exception e) {
      // Another request moved an item between the check and here: put back the ones moved.
      for (VmWork work : works.subList(0, begun)) {
        ProtectedItem was = before.get(work.vmId());
        quietly("putting back " + work.vmName(), () -> context.items().transition(
            work.vmId(), null, was.getState(), b -> b.clearActiveJobId()
                .setInconsistentReason(was.getInconsistentReason())));
      }
      quietly("failing job " + jobId, () -> context.jobs().fail(jobId, "not started: "
          + e.getMessage()));
      throw e;
    }
    // The job the caller gets back already counts the plan's groups ("0 of 2"), not "0 of 0".
    context.jobs().groupsFinished(jobId, 0, targets.groups().size());
    context.jobs().transition(jobId, JobState.JOB_RUNNING);
    start(run);
    return context.jobs().get(jobId);
  }

  /**
   * Prepares the continuation of {@code job}, left running by a previous controller process,
   * and returns what starts it once the other items are recovered.
   *
   * @param works every VM's work, by VM id; those in {@code continuation.ended()} do nothing
   */
  Runnable resume(Job job, Kind kind, Targets targets, Map<String, VmWork> works,
      VmJob.Continuation continuation) throws Exception {
    String jobId = job.getId();
    VmJob run = new VmJob(context, jobId, canonical(targets, works), works, kind, continuation);
    context.jobs().onCancel(jobId, run::cancel);
    for (VmWork work : works.values()) {
      if (!continuation.ended().containsKey(work.vmId())) {
        work.begin(jobId);
      }
    }
    context.jobs().editResume(jobId, r -> r.setResumed(r.getResumed() + 1));
    if (job.getState() != JobState.JOB_RUNNING) {
      context.jobs().transition(jobId, JobState.JOB_RUNNING);
    }
    return () -> start(run);
  }

  private void start(VmJob run) {
    String jobId = run.jobId();
    running.put(jobId, run);
    context.workers().execute(() -> {
      try (org.slf4j.MDC.MDCCloseable field = org.slf4j.MDC.putCloseable("job_id", jobId)) {
        run.run();
      } finally {
        running.remove(jobId);
      }
    });
  }

  /** The targets with each VM id as its item spells it. */
  private static Targets canonical(Targets targets, Map<String, VmWork> byId) {
    Map<String, String> spelled = new LinkedHashMap<>();
    byId.keySet().forEach(id -> spelled.put(id.toLowerCase(java.util.Locale.ROOT), id));
    return new Targets(targets.recoveryPlan(), targets.groups().stream()
        .map(g -> new Targets.Group(g.vmIds().stream()
            .map(id -> spelled.getOrDefault(id.toLowerCase(java.util.Locale.ROOT), id))
            .toList(), g.delayAfter(), g.manualAction()))
        .toList());
  }

  /** The operator's CompleteFailover or ResumeJob on a job that waits for it. */
  Job act(String jobId, OperatorAction action)
      throws NotFoundException, IllegalTransitionException, StoreException {
    Job job = context.jobs().get(jobId);
    VmJob run = running.get(jobId);
    if (run == null) {
      throw new IllegalTransitionException("cannot " + action.rpcName(),
          JobBuilders.subject(job), job.getState().name(), job.getAllowedActionsList());
    }
    run.gate().open(action);
    return context.jobs().get(jobId);
  }
}
