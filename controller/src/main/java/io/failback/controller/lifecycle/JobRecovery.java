package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.Job;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Settles, at controller start, the jobs a previous controller process left unfinished. */
final class JobRecovery {
  /** Why a job left running by a stopped controller failed; %s is the job's kind. */
  static final String RESTART_REASON = "controller restarted while the job was running; re-run"
      + " %s to resume from the persisted checkpoints";

  private JobRecovery() {}

  static List<Job> run(Jobs jobs, List<Job> unfinished,
      Function<Job, Optional<Runnable>> resumer) throws StoreException {
    List<Job> settled = new ArrayList<>();
    for (Job job : unfinished) {
      try {
        settled.add(settle(jobs, job, resumer));
      } catch (NotFoundException | IllegalTransitionException e) {
        // Recovery runs before anything else can touch jobs.
        throw new IllegalStateException("job " + job.getId() + " changed during recovery", e);
      }
    }
    return settled;
  }

  private static Job settle(Jobs jobs, Job job, Function<Job, Optional<Runnable>> resumer)
      throws NotFoundException, IllegalTransitionException, StoreException {
    Optional<Runnable> resume = resumer.apply(job);
    if (resume.isEmpty()) {
      return jobs.fail(job.getId(), String.format(RESTART_REASON, job.getKind()));
    }
    jobs.step(job.getId(), "", "controller restarted; resuming");
    try {
      resume.get().run();
    } catch (RuntimeException e) {
      return jobs.fail(job.getId(), "resuming after a controller restart failed: " + e);
    }
    return jobs.get(job.getId());
  }
}
