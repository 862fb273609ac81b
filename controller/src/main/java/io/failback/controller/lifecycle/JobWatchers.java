package io.failback.controller.lifecycle;

import io.failback.proto.v1.Job;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open {@link JobWatch}es by job id.
 *
 * <p>Concurrent collections, not the job lock: a watch closes from a transport thread that
 * must not wait for a job update in progress.
 */
final class JobWatchers {
  private final Map<String, Set<JobWatch>> byJob = new ConcurrentHashMap<>();

  /** Opens a watch that will take {@code current} first; a finished job gets nothing more. */
  JobWatch open(Job current, Runnable listener) {
    String id = current.getId();
    // compute() keeps adding and removing atomic per job, so an empty set is dropped without
    // losing a watch being added to it at the same time.
    JobWatch watch = new JobWatch(current, listener, closed -> byJob.computeIfPresent(id,
        (key, watching) -> {
          watching.remove(closed);
          return watching.isEmpty() ? null : watching;
        }));
    if (!JobTransitions.isTerminal(current.getState())) {
      byJob.compute(id, (key, watching) -> {
        Set<JobWatch> set = watching != null ? watching : ConcurrentHashMap.newKeySet();
        set.add(watch);
        return set;
      });
    }
    return watch;
  }

  /** Offers a new version to the job's watches; after a terminal one they are forgotten. */
  void publish(Job job) {
    Set<JobWatch> watching = JobTransitions.isTerminal(job.getState())
        ? byJob.remove(job.getId()) : byJob.get(job.getId());
    if (watching != null) {
      watching.forEach(w -> w.offer(job));
    }
  }

  /** Ends every watch, e.g. when the controller shuts down. */
  void endAll() {
    List<JobWatch> all = byJob.values().stream().flatMap(Set::stream).toList();
    byJob.clear();
    all.forEach(JobWatch::end);
  }

  /** How many watches are open, for tests of cleanup. */
  int size() {
    return byJob.values().stream().mapToInt(Set::size).sum();
  }
}
