package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One request, several VMs: every lifecycle action takes a list of VMs and runs them as one
 * job with a task per VM, over real mTLS with a real agent.
 */
class MultiVmLifecycleTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void oneRequestCarriesSeveralVmsThroughTheWholeLoop() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "web", "app", "db");
    Lifecycle lifecycle = fixture.lifecycle();
    Targets all = Targets.of(fixture.allIds());

    Job protect = fixture.awaitState(lifecycle.enableProtection(fixture.allIds()),
        JobState.JOB_SUCCEEDED);
    assertEquals(fixture.allIds(), protect.getVmIdsList());
    assertEquals(6, protect.getTasksCount(), "a task per VM and one per disk");
    assertTrue(protect.getTasksList().stream()
        .allMatch(t -> t.getState() == JobState.JOB_SUCCEEDED), protect.toString());
    for (String name : fixture.ids.keySet()) {
      assertEquals(ProtectionState.PROTECTED, fixture.item(name).getState());
      fixture.assertOnPremEqualsCloud(name);
    }

    Job toCloud = fixture.awaitState(lifecycle.plannedFailover(all,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    assertEquals(FailoverDirection.ON_PREM_TO_CLOUD, toCloud.getDirection());
    fixture.awaitState(lifecycle.commit(all), JobState.JOB_SUCCEEDED);
    Cloud cloud = fixture.controller.server.cloud();
    long seed = 10;
    for (String name : fixture.ids.keySet()) {
      assertEquals(ProtectionState.FAILED_OVER, fixture.item(name).getState());
      cloud.guest(fixture.item(name).getCloudVmId()).scribble(0, 12, seed++);
    }

    Job failback = lifecycle.plannedFailover(all, DataSync.SYNC_BEFORE_FAILOVER);
    assertEquals(FailoverDirection.CLOUD_TO_ON_PREM, failback.getDirection());
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertEquals(List.of("CompleteFailover", "CancelJob"), waiting.getAllowedActionsList());
    for (String name : fixture.ids.keySet()) {
      assertEquals(ProtectionState.FAILBACK_SYNCED, fixture.item(name).getState());
      assertTrue(vmTask(waiting, fixture.ids.get(name)).hasPredictedDowntime(), name);
      // The guests keep writing between the phases; phase 2 must carry these writes too.
      cloud.guest(fixture.item(name).getCloudVmId()).scribble(0, 5, seed++);
    }

    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertEquals(1, done.getGroupsTotal());
    assertEquals(1, done.getGroupsFinished());
    for (String name : fixture.ids.keySet()) {
      JobTask task = vmTask(done, fixture.ids.get(name));
      assertEquals(JobState.JOB_SUCCEEDED, task.getState(), name);
      assertTrue(task.hasDowntime(), name + " has no measured downtime");
      assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item(name).getState());
      fixture.assertOnPremEqualsCloud(name);
      assertEquals(PowerState.OFF, cloud.get(fixture.item(name).getCloudVmId()).orElseThrow()
          .state());
    }

    fixture.awaitState(lifecycle.commit(all), JobState.JOB_SUCCEEDED);
    assertEquals(List.of(), cloud.list(), "commit leaves no cloud VM");
    fixture.scribbleOnPrem("app", 3, 99);
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(all,
        io.failback.proto.v1.TransferOptions.getDefaultInstance()), JobState.JOB_SUCCEEDED);
    assertEquals(3, reverse.getVmIdsCount());
    for (String name : fixture.ids.keySet()) {
      assertEquals(ProtectionState.PROTECTED, fixture.item(name).getState());
      fixture.assertOnPremEqualsCloud(name);
    }
  }

  @Test
  void aFailingVmIsReportedAloneAndTheOthersFinish() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "web", "app");
    fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    // app's cloud copy disappears behind the controller's back.
    String appCloud = fixture.item("app").getCloudVmId();
    cloud.shutdown(appCloud);
    cloud.delete(appCloud);

    Job job = fixture.awaitState(fixture.lifecycle().plannedFailover(
        Targets.of(fixture.allIds()), DataSync.FULL_DOWNLOAD), JobState.JOB_FAILED);
    String app = fixture.ids.get("app");
    String web = fixture.ids.get("web");
    assertEquals(JobState.JOB_FAILED, vmTask(job, app).getState());
    // A full download has no phase 1: its first stage prepares the target.
    assertTrue(vmTask(job, app).getError().contains("failed during preparing"), job.toString());
    assertTrue(job.getErrorsList().stream().anyMatch(e -> e.startsWith("vm " + app + ":")),
        job.toString());
    assertFalse(job.getErrorsList().stream().anyMatch(e -> e.startsWith("vm " + web + ":")),
        job.toString());
    assertEquals(JobState.JOB_SUCCEEDED, vmTask(job, web).getState(), job.toString());
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item("web").getState());
    fixture.assertOnPremEqualsCloud("web");
    // It failed before writing a byte on-prem: undone, it is FAILED_OVER as before.
    assertEquals(ProtectionState.FAILED_OVER, fixture.item("app").getState());
    assertEquals("", fixture.item("app").getInconsistentReason());
  }

  @Test
  void aRequestWithAVmInTheWrongStateChangesNothing() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "web", "app");
    Lifecycle lifecycle = fixture.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(List.of(fixture.ids.get("web"))),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.enableProtection(List.of(fixture.ids.get("app"))),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.plannedFailover(Targets.of(List.of(fixture.ids.get("app"))),
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    int jobs = fixture.controller.server.jobs().list("").size();

    // web is PROTECTED (failover to the cloud), app FAILED_OVER_COMMIT_PENDING.
    Exception refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> lifecycle.plannedFailover(Targets.of(fixture.allIds()),
            DataSync.SYNC_BEFORE_FAILOVER));
    assertTrue(refused.getMessage().contains("cannot PlannedFailover"), refused.getMessage());
    assertTrue(refused.getMessage().contains("app"), refused.getMessage());
    assertEquals(ProtectionState.PROTECTED, fixture.item("web").getState());
    assertEquals(ProtectionState.FAILED_OVER_COMMIT_PENDING, fixture.item("app").getState());
    assertEquals(jobs, fixture.controller.server.jobs().list("").size(), "a job was created");
  }

  static JobTask vmTask(Job job, String vmId) {
    return job.getTasksList().stream()
        .filter(t -> t.getVmId().equals(vmId) && t.getDiskPath().isEmpty()).findFirst()
        .orElseThrow(() -> new AssertionError("no task for " + vmId + " in " + job));
  }

}
