package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.JobTransitions;
import io.failback.proto.v1.CancelJobRequest;
import io.failback.proto.v1.CommitRequest;
import io.failback.proto.v1.CreateRecoveryPlanRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.failback.proto.v1.RestartCloudVmRequest;
import io.failback.proto.v1.ReverseReplicateRequest;
import io.failback.proto.v1.WatchJobRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commit and ReverseReplicate of a recovery plan start no VM, so the plan's delays and manual
 * actions do not hold them; a commit never offers CancelJob. Over real mutual TLS with a real
 * agent.
 */
class RecoveryPlanNoOrderTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void restartCommitAndReverseReplicateOfAPlanRunWithoutItsDelaysAndManualActions()
      throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "web", "app", "db");
    fixture.failedOver();
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    var jobs = JobServiceGrpc.newBlockingStub(channel);
    RecoveryPlanServiceGrpc.newBlockingStub(channel).createRecoveryPlan(
        CreateRecoveryPlanRequest.newBuilder().setPlan(RecoveryPlan.newBuilder()
            .setName("tiered")
            .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(fixture.ids.get("db"))
                .setManualAction("check the database"))
            .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(fixture.ids.get("app"))
                .setDelayAfter(Durations.fromHours(24)))
            .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(fixture.ids.get("web"))))
            .build());
    // A restart of the plan's cloud VMs cannot be cancelled: it waits for no manual action.
    Job restart = fixture.awaitState(failover.restartCloudVm(RestartCloudVmRequest.newBuilder()
        .setRecoveryPlan("tiered").build()).getJob(), JobState.JOB_SUCCEEDED);
    assertTrue(restart.getTimelineList().stream().anyMatch(s -> s.getDescription().equals(
        "RestartCloudVm cannot be cancelled: the 3 groups of the plan are acted on together,"
        + " without its delays and manual actions")), restart.toString());
    assertEquals(3, restart.getTimelineList().stream().filter(s -> s.getDescription()
        .contains(" started again in ")).count(), restart.toString());
    // The failback itself as a list of VMs: the plan's order is not what this test is about.
    fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addAllVmIds(fixture.allIds()).setDataSync(DataSync.FULL_DOWNLOAD).build()).getJob(),
        JobState.JOB_SUCCEEDED);

    Job commit = failover.commit(CommitRequest.newBuilder().setRecoveryPlan("tiered").build())
        .getJob();
    assertEquals(List.of(), commit.getAllowedActionsList(), "a commit offered " + commit);
    Status refused = assertThrows(StatusRuntimeException.class, () -> jobs.cancelJob(
        CancelJobRequest.newBuilder().setJobId(commit.getId()).build())).getStatus();
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getCode());
    List<Job> commitVersions = untilSettled(jobs, commit.getId());
    for (Job version : commitVersions) {
      assertEquals(List.of(), version.getAllowedActionsList(), "a commit offered " + version);
    }
    Job committed = last(commitVersions);
    assertEquals(JobState.JOB_SUCCEEDED, committed.getState(), committed.toString());
    assertEquals(3, committed.getGroupsFinished());
    assertEquals(3, committed.getGroupsTotal());
    assertEquals("", committed.getManualAction());
    assertTrue(committed.getTimelineList().stream().anyMatch(s -> s.getDescription().equals(
        "Commit starts no VM: the 3 groups of the plan are acted on together, without its"
        + " delays and manual actions")), committed.toString());
    for (String name : fixture.ids.keySet()) {
      assertEquals(ProtectionState.FAILED_BACK, fixture.item(name).getState());
    }

    Job reverse = failover.reverseReplicate(ReverseReplicateRequest.newBuilder()
        .setRecoveryPlan("tiered").build()).getJob();
    List<Job> reverseVersions = untilSettled(jobs, reverse.getId());
    for (Job version : reverseVersions) {
      assertTrue(List.of("CancelJob").containsAll(version.getAllowedActionsList()),
          "reverse replication offered " + version);
    }
    Job reversed = last(reverseVersions);
    assertEquals(JobState.JOB_SUCCEEDED, reversed.getState(), reversed.toString());
    assertEquals(3, reversed.getGroupsFinished());
    for (String name : fixture.ids.keySet()) {
      assertEquals(ProtectionState.PROTECTED, fixture.item(name).getState());
    }
  }

  /**
   * Every version of the job WatchJob shows, up to its end or until it waits for the operator
   * (which is where these jobs used to stop).
   */
  private static List<Job> untilSettled(JobServiceGrpc.JobServiceBlockingStub jobs,
      String jobId) {
    List<Job> versions = new ArrayList<>();
    Iterator<Job> watch = jobs.withDeadlineAfter(60, TimeUnit.SECONDS)
        .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build());
    while (watch.hasNext()) {
      Job version = watch.next();
      versions.add(version);
      if (JobTransitions.isTerminal(version.getState())
          || version.getState() == JobState.JOB_WAITING) {
        break;
      }
    }
    return versions;
  }

  private static Job last(List<Job> versions) {
    return versions.get(versions.size() - 1);
  }
}
