package io.failback.controller;

import static io.failback.controller.DowntimePredictionTest.awaitJob;
import static io.failback.controller.DowntimePredictionTest.cli;
import static io.failback.controller.DowntimePredictionTest.writeBlocks;
import static io.failback.controller.MultiVmLifecycleTest.vmTask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.CreateRecoveryPlanRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DowntimePrediction;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.failback.proto.v1.ResumeJobRequest;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-group plan's downtime is predicted per VM and for the whole plan, its delay
 * included and its manual action counted, and measured next to it. Over real mutual TLS with
 * a real agent; the controller's clock moves only by the plan's delay, which the test moves
 * it by, so every measured downtime is exact.
 */
class RecoveryPlanDowntimeTest {
  private static final Duration APP_DELAY = Duration.ofSeconds(1);

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void thePlansDelayAndManualActionAreInTheJobsPrediction() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, 16 << 20, "web", "app", "db");
    fixture.failedOver();
    long seed = 1;
    for (String name : fixture.ids.keySet()) {
      writeBlocks(fixture, name, 0, 32, seed++);
    }
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    RecoveryPlanServiceGrpc.newBlockingStub(channel).createRecoveryPlan(
        CreateRecoveryPlanRequest.newBuilder().setPlan(RecoveryPlan.newBuilder()
            .setName("tiered")
            .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(fixture.ids.get("db"))
                .setManualAction("check the database"))
            .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(fixture.ids.get("app"))
                .setDelayAfter(Durations.fromMillis(APP_DELAY.toMillis())))
            .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(fixture.ids.get("web"))))
            .build());

    Job waiting = fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest
        .newBuilder().setRecoveryPlan("tiered").setDataSync(DataSync.SYNC_BEFORE_FAILOVER)
        .build()).getJob(), JobState.JOB_WAITING);
    // Stops and starts take no time on this clock: every VM is down from the start until
    // the slowest phase 2 ends, web one delay longer.
    long slowest = 0;
    for (String name : fixture.ids.keySet()) {
      DowntimePrediction p = vmTask(waiting, fixture.ids.get(name)).getDowntimePrediction();
      // Only the cloud VM's stop, never made yet, has a stand-in: the VMs' stop on-prem.
      assertEquals(List.of("cloud VM stop (taken as the VMs' stop on hv-01)"),
          p.getDefaultsList(), p.toString());
      slowest = Math.max(slowest, Durations.toMillis(p.getTransfer()));
    }
    assertEquals(slowest, total(waiting, fixture, "db"), 1);
    assertEquals(slowest, total(waiting, fixture, "app"), 1);
    assertEquals(slowest + APP_DELAY.toMillis(), total(waiting, fixture, "web"), 1);
    assertEquals(slowest + APP_DELAY.toMillis(),
        Durations.toMillis(waiting.getPredictedDowntime()), 1, waiting.toString());
    assertEquals(1, waiting.getPredictedManualActions());

    Job manual = fixture.awaitState(failover.completeFailover(CompleteFailoverRequest
        .newBuilder().setJobId(waiting.getId()).build()).getJob(), JobState.JOB_WAITING);
    JobServiceGrpc.newBlockingStub(channel).resumeJob(ResumeJobRequest.newBuilder()
        .setJobId(manual.getId()).build());
    awaitJob(fixture, waiting.getId(), job -> job.getTimelineList().stream()
        .anyMatch(s -> s.getDescription().equals("waiting 1 s before the next group")));
    fixture.controller.clock.advance(APP_DELAY);
    Job done = fixture.awaitState(waiting, JobState.JOB_SUCCEEDED);

    assertEquals(Durations.fromMillis(APP_DELAY.toMillis()), done.getDowntime());
    assertEquals(Durations.ZERO, done.getManualActionTime(), "the clock stood still then");
    assertEquals(0, vmTask(done, fixture.ids.get("db")).getDowntimePrediction()
        .getManualActions());
    assertEquals(1, vmTask(done, fixture.ids.get("app")).getDowntimePrediction()
        .getManualActions());
    assertEquals(1, vmTask(done, fixture.ids.get("web")).getDowntimePrediction()
        .getManualActions());
    assertEquals(waiting.getPredictedDowntime(), done.getPredictedDowntime());
    assertEquals(Durations.ZERO, vmTask(done, fixture.ids.get("db")).getDowntime());
    assertEquals(Durations.ZERO, vmTask(done, fixture.ids.get("app")).getDowntime());
    assertEquals(Durations.fromMillis(APP_DELAY.toMillis()),
        vmTask(done, fixture.ids.get("web")).getDowntime());
    assertEquals(total(waiting, fixture, "web"), total(done, fixture, "web"));
    String shown = cli(fixture, "job", done.getId());
    assertTrue(shown.contains("  downtime 1.0 s (predicted " + String.format(
        java.util.Locale.ROOT, "%.1f s", Durations.toMillis(done.getPredictedDowntime())
            / 1000.0) + ", plus the operator's time at 1 manual action)"), shown);
    for (String name : List.of("web", "app", "db")) {
      fixture.assertOnPremEqualsCloud(name);
    }
    // Nothing was interrupted: no VM's phase 2 may start at a checkpoint (once db's started
    // at app's, which ran beside it).
    assertTrue(done.getTimelineList().stream().noneMatch(
        s -> s.getDescription().contains("from the last durable checkpoint")), done.toString());
  }

  private static long total(Job job, MultiVmFixture fixture, String name) {
    return Durations.toMillis(vmTask(job, fixture.ids.get(name)).getDowntimePrediction()
        .getTotal());
  }
}
