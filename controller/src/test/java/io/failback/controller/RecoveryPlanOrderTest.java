package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Timestamps;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.IllegalTransitionException;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recovery plan fails back in order: cloud VMs shut down in reverse group order, on-prem
 * VMs start group by group, with the plan's delays and manual actions between the groups.
 */
class RecoveryPlanOrderTest {
  private static final String CHECK_DB = "check that the database accepts connections";
  private static final Duration APP_DELAY = Duration.ofMillis(300);

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private Targets tiered(MultiVmFixture fixture) {
    return new Targets("tiered", List.of(
        new Targets.Group(List.of(fixture.ids.get("db")), Duration.ZERO, CHECK_DB),
        new Targets.Group(List.of(fixture.ids.get("app")), APP_DELAY, ""),
        new Targets.Group(List.of(fixture.ids.get("web")), Duration.ZERO, "")));
  }

  @Test
  void threeGroupsFailBackInOrderWithAManualActionBetween() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "web", "app", "db");
    Lifecycle lifecycle = fixture.lifecycle();
    fixture.failedOver();
    // The controller's clock moves on its own here, so the recorded times tell the order.
    java.util.concurrent.ScheduledExecutorService ticker =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    cleanup.register(ticker::shutdownNow);
    ticker.scheduleAtFixedRate(() -> fixture.controller.clock.advance(Duration.ofMillis(1)),
        1, 1, java.util.concurrent.TimeUnit.MILLISECONDS);

    Job started = lifecycle.plannedFailover(tiered(fixture), DataSync.SYNC_BEFORE_FAILOVER);
    assertEquals(3, started.getGroupsTotal(), "the job returned counts the plan's groups");
    Job phaseOne = fixture.awaitState(started, JobState.JOB_WAITING);
    assertEquals("tiered", phaseOne.getRecoveryPlan());
    assertEquals(3, phaseOne.getGroupsTotal());
    assertEquals(List.of("CompleteFailover", "CancelJob"), phaseOne.getAllowedActionsList());

    Job manual = fixture.awaitState(lifecycle.completeFailover(phaseOne.getId()),
        JobState.JOB_WAITING);
    assertEquals(CHECK_DB, manual.getManualAction());
    assertEquals(List.of("ResumeJob", "CancelJob"), manual.getAllowedActionsList());
    assertEquals(1, manual.getGroupsFinished());
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item("db").getState());
    assertEquals(ProtectionState.FAILBACK_COMPLETING, fixture.item("app").getState());
    assertEquals(ProtectionState.FAILBACK_COMPLETING, fixture.item("web").getState());
    assertThrows(IllegalTransitionException.class,
        () -> lifecycle.completeFailover(phaseOne.getId()));

    Job done = fixture.awaitState(lifecycle.resumeJob(phaseOne.getId()),
        JobState.JOB_SUCCEEDED);
    assertEquals(3, done.getGroupsFinished());
    assertEquals("", done.getManualAction());
    List<String> stopOrder = vmsOf(done, "cloud VM off");
    assertEquals(List.of(fixture.ids.get("web"), fixture.ids.get("app"), fixture.ids.get("db")),
        stopOrder, "cloud VMs shut down in reverse group order");
    List<JobStep> starts = steps(done, "on-prem VM started");
    assertEquals(List.of(fixture.ids.get("db"), fixture.ids.get("app"), fixture.ids.get("web")),
        starts.stream().map(JobStep::getVmId).toList(), "on-prem VMs start group by group");
    for (int i = 1; i < starts.size(); i++) {
      assertTrue(Timestamps.compare(starts.get(i - 1).getAt(), starts.get(i).getAt()) < 0,
          "start times out of order: " + starts);
    }
    List<JobStep> stops = steps(done, "cloud VM off");
    assertTrue(Timestamps.compare(stops.get(2).getAt(), starts.get(0).getAt()) < 0,
        "db started before every cloud VM was off");
    List<JobStep> timeline = done.getTimelineList();
    assertTrue(timeline.indexOf(steps(done, "resumed after the manual action").get(0))
        < timeline.indexOf(starts.get(1)), "app started before the manual action was resumed");
    JobStep delay = steps(done, "waiting 300 ms before the next group").get(0);
    int waited = timeline.indexOf(delay);
    assertTrue(timeline.indexOf(starts.get(1)) < waited
        && waited < timeline.indexOf(starts.get(2)), "no delay between app and web");
    // The delay runs on the controller's clock, which stamps the timeline too.
    assertTrue(com.google.protobuf.util.Durations.toMillis(Timestamps.between(delay.getAt(),
        starts.get(2).getAt())) >= APP_DELAY.toMillis(), "the delay was not kept: " + done);
    for (String name : fixture.ids.keySet()) {
      assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item(name).getState());
      fixture.assertOnPremEqualsCloud(name);
    }
  }

  @Test
  void cancelAtTheManualActionBringsTheLaterGroupsBackInTheCloud() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "web", "app", "db");
    Lifecycle lifecycle = fixture.lifecycle();
    fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();

    Job job = fixture.awaitState(lifecycle.plannedFailover(tiered(fixture),
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_WAITING);
    fixture.awaitState(lifecycle.completeFailover(job.getId()), JobState.JOB_WAITING);
    Job cancelled = fixture.controller.server.jobs().cancel(job.getId());
    assertEquals(JobState.JOB_CANCELLED, cancelled.getState(), cancelled.toString());
    assertEquals(1, cancelled.getGroupsFinished());

    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item("db").getState());
    for (String name : List.of("app", "web")) {
      // Their on-prem disks, written by phase 1, went back as they were: undo journals.
      assertEquals(ProtectionState.FAILED_OVER, fixture.item(name).getState());
      assertEquals("", fixture.item(name).getInconsistentReason());
      assertTrue(cancelled.getTimelineList().stream().anyMatch(s -> s.getVmId().equals(
          fixture.ids.get(name)) && s.getDescription().contains("rolled back to their state"
          + " before the failback")), cancelled.toString());
      assertEquals(PowerState.RUNNING, cloud.get(fixture.item(name).getCloudVmId())
          .orElseThrow().state(), name + "'s cloud VM was left off");
    }

    // The rest of the plan's VMs: a re-run completes them.
    Job rerun = fixture.awaitState(lifecycle.plannedFailover(Targets.of(List.of(
        fixture.ids.get("app"), fixture.ids.get("web"))), DataSync.FULL_DOWNLOAD),
        JobState.JOB_SUCCEEDED);
    assertEquals(2, rerun.getVmIdsCount());
    for (String name : List.of("app", "web")) {
      assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item(name).getState());
      fixture.assertOnPremEqualsCloud(name);
    }
  }

  /**
   * A cancel while the first group's on-prem VM is starting (its start is slow on the host):
   * the start, once sent, is waited out, so that VM stays failed back and its cloud VM off;
   * only the later group goes back to the cloud. Cutting that wait would restart the cloud VM
   * while the on-prem one starts: two live copies.
   */
  @Test
  void aCancelDuringAStartWaitsForItAndOnlyTheLaterGroupsGoBack() throws Exception {
    java.util.concurrent.CountDownLatch starting = new java.util.concurrent.CountDownLatch(1);
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, port -> "localhost:" + port,
        driver -> new io.failback.agent.hyperv.ForwardingHypervisor(driver) {
          @Override
          public void startVm(String vmId) throws java.io.IOException {
            starting.countDown();
            try {
              Thread.sleep(1500);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            super.startVm(vmId);
          }
        }, 4L * LifecycleFixture.MIB, "app", "db");
    fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    Job job = fixture.lifecycle().plannedFailover(new Targets("two", List.of(
        new Targets.Group(List.of(fixture.ids.get("db")), Duration.ZERO, ""),
        new Targets.Group(List.of(fixture.ids.get("app")), Duration.ZERO, ""))),
        DataSync.FULL_DOWNLOAD);
    assertTrue(starting.await(60, java.util.concurrent.TimeUnit.SECONDS), "nothing started");
    fixture.controller.server.jobs().cancel(job.getId());

    Job cancelled = fixture.awaitState(job, JobState.JOB_CANCELLED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item("db").getState(),
        cancelled.toString());
    assertEquals(PowerState.OFF, cloud.get(fixture.item("db").getCloudVmId()).orElseThrow()
        .state(), "db runs on-prem: its cloud VM must stay off");
    assertEquals(ProtectionState.FAILED_OVER, fixture.item("app").getState());
    assertEquals(PowerState.RUNNING, cloud.get(fixture.item("app").getCloudVmId())
        .orElseThrow().state());
  }

  @Test
  void aFailedVmStopsTheLaterGroupsBeforeTheirCloudVmsAreTouched() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "web", "app", "db");
    Lifecycle lifecycle = fixture.lifecycle();
    fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    String dbCloud = fixture.item("db").getCloudVmId();
    cloud.shutdown(dbCloud);
    cloud.delete(dbCloud);

    Job job = fixture.awaitState(lifecycle.plannedFailover(tiered(fixture),
        DataSync.FULL_DOWNLOAD), JobState.JOB_FAILED);
    assertEquals(0, job.getGroupsFinished());
    assertEquals(List.of(), vmsOf(job, "cloud VM off"), "a later group's cloud VM was stopped");
    for (String name : List.of("app", "web")) {
      assertTrue(MultiVmLifecycleTest.vmTask(job, fixture.ids.get(name)).getError()
          .contains("not started: a VM of group 1 failed"), job.toString());
      assertEquals(PowerState.RUNNING, cloud.get(fixture.item(name).getCloudVmId())
          .orElseThrow().state());
    }
    assertFalse(job.getErrorsList().isEmpty());
  }

  private static List<JobStep> steps(Job job, String prefix) {
    return job.getTimelineList().stream().filter(s -> s.getDescription().startsWith(prefix))
        .toList();
  }

  private static List<String> vmsOf(Job job, String prefix) {
    return steps(job, prefix).stream().map(JobStep::getVmId).toList();
  }
}
