package io.failback.controller.lifecycle;

import static io.failback.proto.v1.JobState.JOB_CANCELLED;
import static io.failback.proto.v1.JobState.JOB_FAILED;
import static io.failback.proto.v1.JobState.JOB_QUEUED;
import static io.failback.proto.v1.JobState.JOB_RUNNING;
import static io.failback.proto.v1.JobState.JOB_SUCCEEDED;
import static io.failback.proto.v1.JobState.JOB_WAITING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Timestamps;
import io.failback.common.testing.MutableClock;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobTask;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobsTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);
  private ControllerStore store;
  private Jobs jobs;

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    jobs = new Jobs(store.jobRecords(), clock);
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private void reopen() throws Exception {
    store.close();
    store = ControllerStore.open(dir.resolve("controller.db"));
    jobs = new Jobs(store.jobRecords(), clock);
  }

  private Job failback(String... vmIds) throws Exception {
    Map<String, List<String>> disks = new LinkedHashMap<>();
    for (String vm : vmIds) {
      disks.put(vm, List.of("D:\\" + vm + "\\os.vhdx", "D:\\" + vm + "\\data.vhdx"));
    }
    return jobs.create("PlannedFailover", FailoverDirection.CLOUD_TO_ON_PREM, "", disks);
  }

  @Test
  void createdJobHasTasksPerVmAndDiskAndIsPersisted() throws Exception {
    Job job = failback("vm-1", "vm-2");
    reopen();

    assertEquals(job, jobs.get(job.getId()));
    assertEquals(JOB_QUEUED, job.getState());
    assertEquals(List.of("vm-1", "vm-2"), job.getVmIdsList());
    assertEquals(List.of("", "D:\\vm-1\\os.vhdx", "D:\\vm-1\\data.vhdx", "",
        "D:\\vm-2\\os.vhdx", "D:\\vm-2\\data.vhdx"),
        job.getTasksList().stream().map(JobTask::getDiskPath).toList());
    assertEquals(List.of("CancelJob"), job.getAllowedActionsList());
    assertEquals(Timestamps.fromMillis(T0.toEpochMilli()), job.getCreatedAt());
    assertEquals(FailoverDirection.CLOUD_TO_ON_PREM, job.getDirection());
  }

  @Test
  void stepsProgressAndFailureArePersistedWithTheClocksTime() throws Exception {
    String id = failback("vm-1").getId();
    jobs.transition(id, JOB_RUNNING);
    clock.advance(Duration.ofSeconds(5));
    jobs.step(id, "vm-1", "phase 1: syncing snapshot");
    JobProgress progress = JobProgress.newBuilder().setBytesTotal(100).setBytesScanned(40).build();
    jobs.progress(id, "vm-1", "D:\\vm-1\\os.vhdx", progress);
    jobs.taskState(id, "vm-1", "D:\\vm-1\\os.vhdx", JOB_RUNNING, "");
    clock.advance(Duration.ofSeconds(5));
    jobs.fail(id, "agent hv01 went offline");
    reopen();

    Job job = jobs.get(id);
    assertEquals(JOB_FAILED, job.getState());
    assertEquals(List.of("agent hv01 went offline"), job.getErrorsList());
    assertEquals(List.of(), job.getAllowedActionsList());
    assertEquals("phase 1: syncing snapshot", job.getTimeline(0).getDescription());
    assertEquals("vm-1", job.getTimeline(0).getVmId());
    assertEquals(Timestamps.fromMillis(T0.plusSeconds(5).toEpochMilli()),
        job.getTimeline(0).getAt());
    assertEquals("failed: agent hv01 went offline", job.getTimeline(1).getDescription());
    assertEquals("phase 1: syncing snapshot", job.getTasks(0).getStep());
    assertEquals(progress, job.getTasks(1).getProgress());
    assertTrue(job.getTasksList().stream().allMatch(t -> t.getState() == JOB_FAILED));
    assertEquals(Timestamps.fromMillis(T0.plusSeconds(10).toEpochMilli()), job.getUpdatedAt());
  }

  @Test
  void succeededJobTakesNoMoreChanges() throws Exception {
    String id = failback("vm-1").getId();
    jobs.transition(id, JOB_RUNNING);
    jobs.taskState(id, "vm-1", "", JOB_RUNNING, "");
    jobs.taskState(id, "vm-1", "", JOB_SUCCEEDED, "");
    jobs.editTask(id, "vm-1", "", t -> t.setSourceDigest("abc").setTargetDigest("abc"));
    Job done = jobs.succeed(id);

    assertEquals(JOB_SUCCEEDED, done.getState());
    assertEquals("abc", done.getTasks(0).getTargetDigest());
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> jobs.step(id, "", "late"));
    assertEquals("cannot record a step: job " + id + " (PlannedFailover) is JOB_SUCCEEDED;"
        + " allowed: none", e.getMessage());
    assertEquals(done, jobs.get(id));
  }

  @Test
  void jobAndTaskStatesFollowTheTable() throws Exception {
    String id = failback("vm-1").getId();
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> jobs.transition(id, JOB_SUCCEEDED));
    assertTrue(e.getMessage().contains("is JOB_QUEUED"), e.getMessage());
    assertThrows(IllegalStateException.class,
        () -> jobs.taskState(id, "vm-1", "", JOB_WAITING, ""));
    assertThrows(IllegalArgumentException.class,
        () -> jobs.taskState(id, "vm-9", "", JOB_RUNNING, ""));
    assertThrows(IllegalArgumentException.class,
        () -> jobs.editTask(id, "vm-1", "", t -> t.setState(JOB_RUNNING)));
    assertThrows(NotFoundException.class, () -> jobs.transition("nope", JOB_RUNNING));
    assertEquals(JOB_QUEUED, jobs.get(id).getState());
  }

  @Test
  void listIsNewestFirstAndFiltersByVm() throws Exception {
    String first = failback("vm-1").getId();
    clock.advance(Duration.ofSeconds(1));
    String second = failback("vm-2").getId();
    clock.advance(Duration.ofSeconds(1));
    String third = failback("vm-1", "vm-2").getId();

    assertEquals(List.of(third, second, first), ids(jobs.list("")));
    assertEquals(List.of(third, first), ids(jobs.list("vm-1")));
  }

  @Test
  void recoverFailsUnfinishedJobsSayingHowToResume() throws Exception {
    String queued = failback("vm-1").getId();
    String running = failback("vm-2").getId();
    jobs.transition(running, JOB_RUNNING);
    String waiting = failback("vm-3").getId();
    jobs.transition(waiting, JOB_RUNNING);
    jobs.transition(waiting, JOB_WAITING);
    String done = failback("vm-4").getId();
    jobs.transition(done, JOB_RUNNING);
    jobs.succeed(done);
    reopen();

    List<Job> settled = jobs.recover(job -> java.util.Optional.empty());

    assertEquals(List.of(queued, running, waiting), ids(settled));
    for (String id : List.of(queued, running, waiting)) {
      Job job = jobs.get(id);
      assertEquals(JOB_FAILED, job.getState());
      assertEquals(List.of("controller restarted while the job was running; re-run"
          + " PlannedFailover to resume from the persisted checkpoints"), job.getErrorsList());
    }
    assertEquals(JOB_SUCCEEDED, jobs.get(done).getState());
    assertEquals(List.of(), jobs.recover(job -> java.util.Optional.empty()));
  }

  @Test
  void recoverResumesWhatTheRunnerCanResume() throws Exception {
    String resumable = failback("vm-1").getId();
    jobs.transition(resumable, JOB_RUNNING);
    String broken = failback("vm-2").getId();
    jobs.transition(broken, JOB_RUNNING);
    reopen();
    List<String> resumed = new ArrayList<>();

    jobs.recover(job -> Optional.of(() -> {
      if (job.getId().equals(broken)) {
        throw new IllegalStateException("checkpoint missing");
      }
      resumed.add(job.getId());
    }));

    assertEquals(List.of(resumable), resumed);
    Job job = jobs.get(resumable);
    assertEquals(JOB_RUNNING, job.getState());
    assertEquals("controller restarted; resuming",
        job.getTimeline(job.getTimelineCount() - 1).getDescription());
    assertEquals(JOB_FAILED, jobs.get(broken).getState());
    assertTrue(jobs.get(broken).getErrors(0).contains("checkpoint missing"));
  }

  @Test
  void cancelRunsTheRunnersCallbackOnce() throws Exception {
    String id = failback("vm-1").getId();
    jobs.transition(id, JOB_RUNNING);
    List<String> calls = new ArrayList<>();
    jobs.onCancel(id, () -> calls.add("stop"));

    Job requested = jobs.cancel(id);

    assertEquals(List.of("stop"), calls);
    assertTrue(jobs.cancelRequested(id));
    assertEquals(JOB_RUNNING, requested.getState());
    assertEquals(List.of(), requested.getAllowedActionsList());
    assertEquals("cancel requested",
        requested.getTimeline(requested.getTimelineCount() - 1).getDescription());
    assertEquals(requested, jobs.cancel(id));
    assertEquals(1, calls.size());
    // While the runner stops nothing is offered: the gate refuses every action by then.
    assertEquals(List.of(), jobs.allowActions(id, List.of(
        OperatorAction.COMPLETE_FAILOVER, OperatorAction.CANCEL_JOB)).getAllowedActionsList());

    Job cancelled = jobs.cancelled(id, "stopped after lane 0");
    assertEquals(JOB_CANCELLED, cancelled.getState());
    assertFalse(jobs.cancelRequested(id));
  }

  @Test
  void callbackMayEndTheJobAtOnce() throws Exception {
    String id = failback("vm-1").getId();
    jobs.transition(id, JOB_RUNNING);
    jobs.onCancel(id, () -> {
      try {
        jobs.cancelled(id, "");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertEquals(JOB_CANCELLED, jobs.cancel(id).getState());
  }

  @Test
  void jobWithoutRunnerIsCancelledAtOnce() throws Exception {
    Job job = jobs.cancel(failback("vm-1").getId());
    assertEquals(JOB_CANCELLED, job.getState());
    assertTrue(job.getTasksList().stream().allMatch(t -> t.getState() == JOB_CANCELLED));
  }

  @Test
  void cancelIsRefusedForFinishedUnknownOrUncancellableJobs() throws Exception {
    String id = failback("vm-1").getId();
    jobs.transition(id, JOB_RUNNING);
    jobs.succeed(id);
    IllegalTransitionException e = assertThrows(IllegalTransitionException.class,
        () -> jobs.cancel(id));
    assertEquals("cannot CancelJob: job " + id + " (PlannedFailover) is JOB_SUCCEEDED;"
        + " allowed: none", e.getMessage());
    assertThrows(IllegalTransitionException.class, () -> jobs.onCancel(id, () -> { }));
    assertThrows(NotFoundException.class, () -> jobs.cancel("nope"));

    String committing = failback("vm-2").getId();
    jobs.transition(committing, JOB_RUNNING);
    jobs.allowActions(committing, List.of());
    e = assertThrows(IllegalTransitionException.class, () -> jobs.cancel(committing));
    assertTrue(e.getMessage().contains("is JOB_RUNNING; allowed: none"), e.getMessage());
  }

  private static List<String> ids(List<Job> jobs) {
    return jobs.stream().map(Job::getId).toList();
  }
}
