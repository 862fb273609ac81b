package io.failback.controller.lifecycle;

import io.failback.controller.store.AuditRecords;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobTask;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records each job's end in the audit trail, with the whole-disk digests of both sides of every
 * disk it synced: the proof of a failback or a failover, kept where nothing can rewrite it. The
 * operator's call that started the job is recorded by the API with its identity; the end is
 * the controller's own event.
 */
public final class JobAudit implements Consumer<Job> {
  private static final Logger log = LoggerFactory.getLogger(JobAudit.class);
  static final int DETAIL_LIMIT = 4000;

  private final AuditRecords audit;
  private final Clock clock;
  /** The unfinished jobs seen, so that each job's creation is logged once. */
  private final java.util.Set<String> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public JobAudit(AuditRecords audit, Clock clock) {
    this.audit = audit;
    this.clock = clock;
  }

  @Override
  public void accept(Job job) {
    boolean terminal = JobTransitions.isTerminal(job.getState());
    if (open.add(job.getId()) && !terminal) {
      log.info("job " + job.getId() + " (" + job.getKind() + ") created for VMs "
          + String.join(", ", job.getVmIdsList()));
    }
    if (!terminal) {
      return;
    }
    open.remove(job.getId());
    String detail = detail(job);
    if (job.getState() == io.failback.proto.v1.JobState.JOB_SUCCEEDED) {
      log.info("job ended: " + detail);
    } else {
      log.warn("job ended: " + detail);
    }
    List<String> targets = new ArrayList<>();
    targets.add("job/" + job.getId());
    job.getVmIdsList().forEach(vm -> targets.add("vm/" + vm.toLowerCase(Locale.ROOT)));
    try {
      for (String target : targets) {
        audit.append(clock.instant(), "controller", "", "job.end", target, detail);
      }
    } catch (StoreException | RuntimeException e) {
      log.error("audit trail: cannot record the end of job " + job.getId() + ": " + e);
    }
  }

  static String detail(Job job) {
    StringBuilder text = new StringBuilder(job.getKind()).append(' ')
        .append(job.getState().name().replace("JOB_", "").toLowerCase(Locale.ROOT))
        .append(" (job ").append(job.getId()).append(')');
    if (!job.getRecoveryPlan().isEmpty()) {
      text.append("; plan ").append(job.getRecoveryPlan());
    }
    for (JobTask task : job.getTasksList()) {
      if (!task.getSourceDigest().isEmpty() || !task.getTargetDigest().isEmpty()) {
        text.append("; disk ").append(task.getDiskPath()).append(" of vm ")
            .append(task.getVmId()).append(": source ").append(task.getSourceDigest())
            .append(" target ").append(task.getTargetDigest());
      }
    }
    if (job.getErrorsCount() > 0) {
      text.append("; errors: ").append(String.join(" | ", job.getErrorsList()));
    }
    return text.length() <= DETAIL_LIMIT ? text.toString()
        : text.substring(0, DETAIL_LIMIT - 20) + "… (" + text.length() + " chars)";
  }
}
