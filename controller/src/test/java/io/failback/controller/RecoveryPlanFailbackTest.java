package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.util.Durations;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.CreateRecoveryPlanRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DeleteRecoveryPlanRequest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.failback.proto.v1.ResumeJobRequest;
import io.failback.proto.v1.UpdateRecoveryPlanRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plan defined through RecoveryPlanService is what FailoverService runs, and it stays as it
 * is until the job that runs it has ended; all over real mutual TLS with a real agent.
 */
class RecoveryPlanFailbackTest {
  private static final String CHECK_DB = "check that the database accepts connections";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private static Status fails(Executable call) {
    return assertThrows(StatusRuntimeException.class, call).getStatus();
  }

  @Test
  void storedPlanFailsBackAndCannotChangeUntilItsJobEnds() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "web", "db");
    fixture.failedOver();
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    var plans = RecoveryPlanServiceGrpc.newBlockingStub(channel);
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    var jobs = JobServiceGrpc.newBlockingStub(channel);
    RecoveryPlan tiers = RecoveryPlan.newBuilder().setName("Tiers")
        .addGroups(RecoveryPlanGroup.newBuilder()
            .addVmIds(fixture.ids.get("db").toLowerCase()).setManualAction(CHECK_DB))
        .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(fixture.ids.get("web"))
            .setDelayAfter(Durations.fromMillis(10)))
        .build();
    plans.createRecoveryPlan(CreateRecoveryPlanRequest.newBuilder().setPlan(tiers).build());

    Status unknown = fails(() -> failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .setRecoveryPlan("tier").build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getCode());
    assertEquals("recovery_plan 'tier' names no recovery plan; the plans are Tiers",
        unknown.getDescription());

    Job phaseOne = fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest
        .newBuilder().setRecoveryPlan("TIERS").setDataSync(DataSync.SYNC_BEFORE_FAILOVER)
        .build()).getJob(), JobState.JOB_WAITING);
    assertEquals("Tiers", phaseOne.getRecoveryPlan());
    assertEquals(2, phaseOne.getGroupsTotal());
    assertRefusedWhileRunning(plans, phaseOne);

    Job manual = fixture.awaitState(failover.completeFailover(CompleteFailoverRequest
        .newBuilder().setJobId(phaseOne.getId()).build()).getJob(), JobState.JOB_WAITING);
    assertEquals(CHECK_DB, manual.getManualAction());
    assertRefusedWhileRunning(plans, manual);

    fixture.awaitState(jobs.resumeJob(ResumeJobRequest.newBuilder().setJobId(manual.getId())
        .build()), JobState.JOB_SUCCEEDED);
    for (String name : List.of("db", "web")) {
      assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item(name).getState());
      fixture.assertOnPremEqualsCloud(name);
    }
    plans.deleteRecoveryPlan(DeleteRecoveryPlanRequest.newBuilder().setName("tiers").build());
    assertEquals(List.of(), fixture.controller.server.recoveryPlans().list());
  }

  private static void assertRefusedWhileRunning(
      RecoveryPlanServiceGrpc.RecoveryPlanServiceBlockingStub plans, Job job) {
    Status delete = fails(() -> plans.deleteRecoveryPlan(DeleteRecoveryPlanRequest.newBuilder()
        .setName("tiers").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, delete.getCode());
    assertEquals("cannot delete recovery plan 'Tiers': job " + job.getId() + " (PlannedFailover,"
        + " JOB_WAITING) runs it; wait for the job to end or cancel it with CancelJob, then"
        + " retry", delete.getDescription());
    Status update = fails(() -> plans.updateRecoveryPlan(UpdateRecoveryPlanRequest.newBuilder()
        .setPlan(RecoveryPlan.newBuilder().setName("Tiers").addGroups(RecoveryPlanGroup
            .newBuilder().addAllVmIds(job.getVmIdsList()))).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, update.getCode());
  }
}
