package io.failback.controller.lifecycle;

import static io.failback.proto.v1.JobState.JOB_QUEUED;
import static io.failback.proto.v1.JobState.JOB_RUNNING;
import static io.failback.proto.v1.JobState.JOB_SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MutableClock;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobWatchTest {
  @TempDir Path dir;
  private ControllerStore store;
  private Jobs jobs;
  private String id;
  private final AtomicInteger signals = new AtomicInteger();

  @BeforeEach
  void open() throws Exception {
    store = ControllerStore.open(dir.resolve("controller.db"));
    jobs = new Jobs(store.jobRecords(), new MutableClock(Instant.parse("2025-03-01T10:00:00Z")));
    id = jobs.create("PlannedFailover", FailoverDirection.CLOUD_TO_ON_PREM, "",
        Map.of("vm-1", List.of("os.vhdx"))).getId();
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  @Test
  void watcherGetsTheCurrentJobThenEachChangeThenTheTerminalOne() throws Exception {
    JobWatch watch = jobs.watch(id, signals::incrementAndGet);
    assertEquals(JOB_QUEUED, watch.poll().getState());
    assertNull(watch.poll());

    jobs.transition(id, JOB_RUNNING);
    assertEquals(1, signals.get());
    assertEquals(JOB_RUNNING, watch.poll().getState());
    jobs.step(id, "vm-1", "phase 1");
    assertEquals("phase 1", watch.poll().getTimeline(0).getDescription());
    jobs.succeed(id);
    assertEquals(JOB_SUCCEEDED, watch.poll().getState());
    assertNull(watch.poll());
    assertEquals(0, jobs.openWatches());
  }

  @Test
  void slowWatcherKeepsOnlyTheLatestVersion() throws Exception {
    JobWatch watch = jobs.watch(id, signals::incrementAndGet);
    jobs.transition(id, JOB_RUNNING);
    for (int i = 1; i <= 200; i++) {
      jobs.progress(id, "vm-1", "os.vhdx", JobProgress.newBuilder().setBytesScanned(i).build());
    }

    Job latest = watch.poll();
    assertEquals(200, latest.getTasks(1).getProgress().getBytesScanned());
    assertNull(watch.poll());
    assertEquals(201, signals.get());
  }

  @Test
  void closedWatchGetsNothingMore() throws Exception {
    JobWatch watch = jobs.watch(id, signals::incrementAndGet);
    watch.close();
    assertEquals(0, jobs.openWatches());
    jobs.transition(id, JOB_RUNNING);
    assertNull(watch.poll());
    assertEquals(0, signals.get());
  }

  @Test
  void finishedJobIsWatchedOnceWithoutRegistering() throws Exception {
    jobs.transition(id, JOB_RUNNING);
    jobs.succeed(id);
    JobWatch watch = jobs.watch(id, signals::incrementAndGet);
    assertEquals(JOB_SUCCEEDED, watch.poll().getState());
    assertEquals(0, jobs.openWatches());
    assertThrows(NotFoundException.class, () -> jobs.watch("nope", () -> { }));
  }

  @Test
  void endingWatchesSignalsThem() throws Exception {
    JobWatch watch = jobs.watch(id, signals::incrementAndGet);
    assertFalse(watch.isEnded());
    jobs.endWatches();
    assertTrue(watch.isEnded());
    assertEquals(1, signals.get());
  }

  @Test
  void failingListenerDoesNotFailTheUpdate() throws Exception {
    jobs.watch(id, () -> {
      throw new IllegalStateException("broken watcher");
    });
    assertEquals(JOB_RUNNING, jobs.transition(id, JOB_RUNNING).getState());
  }
}
