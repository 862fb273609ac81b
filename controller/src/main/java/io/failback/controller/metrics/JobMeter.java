package io.failback.controller.metrics;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.failback.controller.lifecycle.JobTransitions;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Jobs as meters, from every change {@code Jobs} publishes: how many are in each state now
 * (by kind), how many ended how, how long they took, and each job's measured and predicted
 * downtime once it is known.
 */
final class JobMeter implements Consumer<Job> {
  private final MeterRegistry registry;
  /** The state each unfinished job was last seen in. */
  private final Map<String, JobState> open = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final Set<String> downtimeRecorded = ConcurrentHashMap.newKeySet();
  private final Set<String> predictionRecorded = ConcurrentHashMap.newKeySet();

  JobMeter(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public synchronized void accept(Job job) {
    JobState before = open.get(job.getId());
    if (before != job.getState()) {
      if (before != null) {
        count(job.getKind(), before).decrementAndGet();
      }
      if (JobTransitions.isTerminal(job.getState())) {
        open.remove(job.getId());
        ended(job);
      } else {
        open.put(job.getId(), job.getState());
        count(job.getKind(), job.getState()).incrementAndGet();
      }
    }
    if (job.hasPredictedDowntime() && predictionRecorded.add(job.getId())) {
      downtime(job.getKind(), "predicted").record(toJava(job.getPredictedDowntime()));
    }
    if (job.hasDowntime() && downtimeRecorded.add(job.getId())) {
      downtime(job.getKind(), "measured").record(toJava(job.getDowntime()));
    }
  }

  private void ended(Job job) {
    String state = label(job.getState());
    Counter.builder("failback.jobs.ended").description("Jobs that ended, by kind and end state")
        .tags("kind", job.getKind(), "state", state).register(registry).increment();
    if (job.hasCreatedAt() && job.hasUpdatedAt()) {
      Timer.builder("failback.job.duration")
          .description("From a job's creation to its end, by kind and end state")
          .publishPercentileHistogram().tags("kind", job.getKind(), "state", state)
          .register(registry)
          .record(toJava(Timestamps.between(job.getCreatedAt(), job.getUpdatedAt())));
    }
    downtimeRecorded.remove(job.getId());
    predictionRecorded.remove(job.getId());
  }

  private AtomicInteger count(String kind, JobState state) {
    return counts.computeIfAbsent(kind + "\u0000" + state, key -> {
      AtomicInteger value = new AtomicInteger();
      Gauge.builder("failback.jobs", value, AtomicInteger::get)
          .description("Unfinished jobs by kind and state")
          .tags("kind", kind, "state", label(state)).register(registry);
      return value;
    });
  }

  private Timer downtime(String kind, String which) {
    return Timer.builder("failback.downtime")
        .description("Downtime of a job's VMs: measured once they run again, predicted before")
        .publishPercentileHistogram().tags("kind", kind, "which", which).register(registry);
  }

  static String label(JobState state) {
    return state.name().replaceFirst("^JOB_", "").toLowerCase(Locale.ROOT);
  }

  private static Duration toJava(com.google.protobuf.Duration duration) {
    return Duration.ofNanos(Durations.toNanos(duration));
  }
}
