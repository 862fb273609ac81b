package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MutableClock;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a job over several VMs ends, with works that do exactly what the test says. */
class VmJobTest {
  @TempDir Path dir;
  private ControllerStore store;
  private Jobs jobs;
  private ExecutorService workers;
  private LifecycleContext context;

  @BeforeEach
  void start() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    jobs = new Jobs(store.jobRecords(), new MutableClock(Instant.parse("2026-11-26T10:00:00Z")));
    workers = Executors.newCachedThreadPool();
    java.util.concurrent.ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor();
    Timings timings = new Timings();
    DiskTransfer transfer = new DiskTransfer(null, jobs, ticker, java.time.Clock.systemUTC(),
        timings);
    context = new LifecycleContext(null, jobs, null, null, transfer, workers,
        java.time.Clock.systemUTC(), dir, 1, new ReplicaLocks(), timings, ticker, null);
  }

  @AfterEach
  void stop() throws Exception {
    context.transfer().close();
    workers.shutdownNow();
    store.close();
  }

  /** A VM whose start waits for the test; nothing to undo. */
  private static final class SlowStart implements VmWork {
    final CountDownLatch starting = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile String abandoned;
    volatile Map<String, String> logFields;

    @Override
    public String vmId() {
      return "vm-1";
    }

    @Override
    public String host() {
      return "hv-01";
    }

    @Override
    public String vmName() {
      return "web";
    }

    @Override
    public List<String> diskPaths() {
      return List.of();
    }

    @Override
    public void begin(String jobId) {}

    @Override
    public void startTarget() throws Exception {
      logFields = org.slf4j.MDC.getCopyOfContextMap();
      starting.countDown();
      assertTrue(release.await(10, TimeUnit.SECONDS));
    }

    @Override
    public String abandon(String why, boolean cancelled) {
      abandoned = why;
      return "undone";
    }
  }

  private static final VmJobs.Kind FAILOVER = new VmJobs.Kind("PlannedFailover",
      FailoverDirection.ON_PREM_TO_CLOUD, false, true, true);

  @Test
  void cancelIsWithdrawnBeforeTheLastVmStartsAndTheJobSucceeds() throws Exception {
    SlowStart work = new SlowStart();
    Job job = jobs.create("PlannedFailover", FailoverDirection.ON_PREM_TO_CLOUD, "",
        Map.of("vm-1", List.of()));
    VmJob run = new VmJob(context, job.getId(), Targets.of(List.of("vm-1")),
        Map.of("vm-1", work), FAILOVER, VmJob.Continuation.NONE);
    jobs.onCancel(job.getId(), run::cancel);
    jobs.transition(job.getId(), JobState.JOB_RUNNING);
    workers.execute(run::run);

    assertTrue(work.starting.await(10, TimeUnit.SECONDS));
    // What the VM's work logs names the job, the VM and its host as fields.
    assertEquals(Map.of("job_id", job.getId(), "vm_id", "vm-1", "host", "hv-01"),
        work.logFields);
    // The VM starts whatever a cancel says: offering one would be a lie.
    Job starting = jobs.get(job.getId());
    assertEquals(List.of(), starting.getAllowedActionsList(), starting.toString());
    assertThrows(IllegalTransitionException.class, () -> jobs.cancel(job.getId()));
    work.release.countDown();

    Job ended = awaitEnd(job.getId());
    assertEquals(JobState.JOB_SUCCEEDED, ended.getState(), ended.toString());
    assertEquals(null, work.abandoned);
  }

  @Test
  void aJobThatCannotBeCancelledNeverOffersCancel() throws Exception {
    SlowStart work = new SlowStart();
    Job job = jobs.create("Commit", FailoverDirection.CLOUD_TO_ON_PREM, "",
        Map.of("vm-1", List.of()), false);
    assertEquals(List.of(), job.getAllowedActionsList());
    VmJob run = new VmJob(context, job.getId(), Targets.of(List.of("vm-1")),
        Map.of("vm-1", work), new VmJobs.Kind("Commit", FailoverDirection.CLOUD_TO_ON_PREM,
            false, false, false), VmJob.Continuation.NONE);
    jobs.transition(job.getId(), JobState.JOB_RUNNING);
    workers.execute(run::run);

    assertTrue(work.starting.await(10, TimeUnit.SECONDS));
    IllegalTransitionException refused = assertThrows(IllegalTransitionException.class,
        () -> jobs.cancel(job.getId()));
    assertTrue(refused.getMessage().contains("cannot CancelJob"), refused.getMessage());
    work.release.countDown();
    assertEquals(JobState.JOB_SUCCEEDED, awaitEnd(job.getId()).getState());
  }

  private Job awaitEnd(String jobId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Job ended = jobs.get(jobId);
    while (!JobTransitions.isTerminal(ended.getState())) {
      assertTrue(System.nanoTime() < deadline, "job never ended: " + ended);
      Thread.sleep(10);
      ended = jobs.get(jobId);
    }
    return ended;
  }
}
