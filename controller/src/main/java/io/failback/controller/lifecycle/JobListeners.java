package io.failback.controller.lifecycle;

import static java.util.Objects.requireNonNull;

import io.failback.proto.v1.Job;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Who hears of every job change (metrics, the audit trail, logs); none can fail a change. */
final class JobListeners {
  private static final Logger log = LoggerFactory.getLogger(JobListeners.class);

  private final List<Consumer<Job>> listeners = new CopyOnWriteArrayList<>();

  void add(Consumer<Job> listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  void tell(Job job) {
    for (Consumer<Job> listener : listeners) {
      try {
        listener.accept(job);
      } catch (RuntimeException e) {
        log.warn("job listener failed on job " + job.getId() + ": " + e);
      }
    }
  }
}
