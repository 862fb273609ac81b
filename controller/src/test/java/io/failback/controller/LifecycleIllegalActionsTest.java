package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.CancelJobRequest;
import io.failback.proto.v1.CommitRequest;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc.FailoverServiceBlockingStub;
import io.failback.proto.v1.GetProtectedItemRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.ReverseReplicateRequest;
import io.failback.proto.v1.UnplannedFailoverRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over gRPC, every operator action the item's state does not allow is refused with
 * FAILED_PRECONDITION naming the state and what is allowed, and changes nothing.
 */
class LifecycleIllegalActionsTest {
  private static final String NO_SUCH_VM = "00000000-0000-4000-8000-0000000000aa";
  private static final String NO_SUCH_JOB = "00000000-0000-4000-8000-0000000000bb";
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private LifecycleFixture fixture;
  private FailoverServiceBlockingStub failover;

  private enum Act { PLANNED, UNPLANNED, COMMIT, REVERSE, ENABLE, ROLLBACK }

  @Test
  void everyActionTheStateDoesNotAllowIsRefusedAndChangesNothing() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    fixture = new LifecycleFixture(dir, cleanup, PausingProxy.into(proxy, cleanup));
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    failover = FailoverServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String vm = fixture.vmId;

    // Before protection there is no item; unknown VMs and jobs say where to look instead.
    for (Act act : List.of(Act.PLANNED, Act.UNPLANNED, Act.COMMIT, Act.REVERSE,
        Act.ROLLBACK)) {
      refused(Code.NOT_FOUND, act, vm, "no protected item for vm id '" + vm + "'",
          "enable protection first");
      refused(Code.NOT_FOUND, act, NO_SUCH_VM, "no protected item for vm id '" + NO_SUCH_VM
          + "'");
    }
    refused(Code.FAILED_PRECONDITION, Act.ENABLE, NO_SUCH_VM,
        "no host reports a VM with id '" + NO_SUCH_VM + "'");
    refusedCompletion(Code.NOT_FOUND, NO_SUCH_JOB, "no job with id '" + NO_SUCH_JOB + "'");
    invalidArguments();

    Job protect = fixture.awaitState(lifecycle.enableProtection(vm), JobState.JOB_SUCCEEDED);
    refusedIn(ProtectionState.PROTECTED,
        "allowed: PlannedFailover, UnplannedFailover, DisableProtection",
        Act.COMMIT, Act.REVERSE, Act.ENABLE, Act.ROLLBACK);
    refusedCompletion(Code.FAILED_PRECONDITION, protect.getId(), "cannot CompleteFailover",
        "JOB_SUCCEEDED; allowed: none");
    StatusRuntimeException cancel = assertThrows(StatusRuntimeException.class,
        () -> JobServiceGrpc.newBlockingStub(channel).cancelJob(
            CancelJobRequest.newBuilder().setJobId(protect.getId()).build()));
    assertEquals(Code.FAILED_PRECONDITION, cancel.getStatus().getCode());

    Job toCloud = fixture.awaitState(lifecycle.plannedFailover(vm,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    refusedIn(ProtectionState.FAILED_OVER_COMMIT_PENDING, "allowed: Commit",
        Act.PLANNED, Act.UNPLANNED, Act.REVERSE, Act.ENABLE, Act.ROLLBACK);
    refusedCompletion(Code.FAILED_PRECONDITION, toCloud.getId(), "JOB_SUCCEEDED");

    fixture.awaitState(lifecycle.commit(vm), JobState.JOB_SUCCEEDED);
    refusedIn(ProtectionState.FAILED_OVER, "allowed: PlannedFailover",
        Act.COMMIT, Act.UNPLANNED, Act.REVERSE, Act.ENABLE, Act.ROLLBACK);

    // Phase 1 held mid-transfer: a second PlannedFailover must not start another sync.
    byte[] written = new byte[4 << 20];
    new java.util.Random(7).nextBytes(written);
    fixture.controller.server.cloud().guest(fixture.item().getCloudVmId()).write(1, 0, written);
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 1L << 20);
    Job failback = lifecycle.plannedFailover(vm, DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "phase 1 never got going");
    refusedIn(ProtectionState.FAILING_BACK, "allowed: CancelJob",
        Act.PLANNED, Act.UNPLANNED, Act.COMMIT, Act.REVERSE, Act.ENABLE, Act.ROLLBACK);
    proxy[0].resume();

    fixture.awaitState(failback, JobState.JOB_WAITING);
    refusedIn(ProtectionState.FAILBACK_SYNCED, "allowed: CompleteFailover, CancelJob",
        Act.PLANNED, Act.UNPLANNED, Act.COMMIT, Act.REVERSE, Act.ENABLE, Act.ROLLBACK);
    refusedCompletion(Code.FAILED_PRECONDITION, toCloud.getId(), "JOB_SUCCEEDED");

    Job back = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    refusedIn(ProtectionState.FAILED_BACK_COMMIT_PENDING, "allowed: Commit, RollbackFailback",
        Act.PLANNED, Act.UNPLANNED, Act.REVERSE, Act.ENABLE);
    refusedCompletion(Code.FAILED_PRECONDITION, back.getId(), "JOB_SUCCEEDED; allowed: none");

    // The item stays FAILED_BACK_COMMIT_PENDING while the commit runs; a second Commit (or a
    // cancel) then would delete the seed being written, so each is refused, running or done.
    Job commit = failover.commit(CommitRequest.newBuilder().addVmIds(vm).build()).getJob();
    for (Executable again : List.<Executable>of(
        () -> failover.commit(CommitRequest.newBuilder().addVmIds(vm).build()),
        () -> failover.rollbackFailback(io.failback.proto.v1.RollbackFailbackRequest
            .newBuilder().addVmIds(vm).build()),
        () -> JobServiceGrpc.newBlockingStub(channel).cancelJob(
            CancelJobRequest.newBuilder().setJobId(commit.getId()).build()))) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, again);
      assertEquals(Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
    }
    fixture.awaitState(commit, JobState.JOB_SUCCEEDED);
    for (int i = 0; i < 2; i++) {
      assertTrue(Files.exists(dir.resolve("state/seeds").resolve(vm).resolve("disk-" + i
          + ".raw")), "seed of disk " + i + " lost");
    }
    refusedIn(ProtectionState.FAILED_BACK, "allowed: ReverseReplicate, DisableProtection",
        Act.PLANNED, Act.UNPLANNED, Act.COMMIT, Act.ENABLE, Act.ROLLBACK);
  }

  private void invalidArguments() throws Exception {
    for (Act act : Act.values()) {
      refused(Code.INVALID_ARGUMENT, act, List.of(), "vm_ids is empty");
      refused(Code.INVALID_ARGUMENT, act, List.of(fixture.vmId, ""), "vm_ids[1] is empty");
      refused(Code.INVALID_ARGUMENT, act, List.of(fixture.vmId,
          fixture.vmId.toUpperCase(java.util.Locale.ROOT)), "twice");
      // Ids are Hyper-V GUIDs: anything else never reaches a lookup, let alone a path.
      refused(Code.INVALID_ARGUMENT, act, List.of("no-such-vm"),
          "vm_ids[0] 'no-such-vm' is not a VM id");
      refused(Code.INVALID_ARGUMENT, act, List.of(fixture.vmId, "../" + fixture.vmId),
          "vm_ids[1] '../" + fixture.vmId + "' is not a VM id");
    }
    refusedCompletion(Code.INVALID_ARGUMENT, "no-such-job", "job_id 'no-such-job' is not a"
        + " job id");
    refusedCompletion(Code.INVALID_ARGUMENT, "", "job_id is empty");
    check(Code.INVALID_ARGUMENT, () -> failover.getProtectedItem(
        GetProtectedItemRequest.getDefaultInstance()), "vm_id is empty");
  }

  /** Each action is refused with the state and the allowed actions; the item stays put. */
  private void refusedIn(ProtectionState state, String allowed, Act... acts) throws Exception {
    assertEquals(state, fixture.item().getState());
    for (Act act : acts) {
      refused(Code.FAILED_PRECONDITION, act, fixture.vmId,
          "cannot " + rpcName(act) + ": vm app-01 (id " + fixture.vmId + ") is " + state
              + "; " + allowed);
    }
  }

  private void refused(Code code, Act act, String vmId, String... fragments) throws Exception {
    refused(code, act, List.of(vmId), fragments);
  }

  private void refused(Code code, Act act, List<String> vmIds, String... fragments)
      throws Exception {
    Function<List<String>, Object> call = switch (act) {
      case PLANNED -> ids -> failover.plannedFailover(
          PlannedFailoverRequest.newBuilder().addAllVmIds(ids).build());
      case UNPLANNED -> ids -> failover.unplannedFailover(
          UnplannedFailoverRequest.newBuilder().addAllVmIds(ids).build());
      case COMMIT -> ids -> failover.commit(CommitRequest.newBuilder().addAllVmIds(ids).build());
      case ROLLBACK -> ids -> failover.rollbackFailback(
          io.failback.proto.v1.RollbackFailbackRequest.newBuilder().addAllVmIds(ids).build());
      case REVERSE -> ids -> failover.reverseReplicate(
          ReverseReplicateRequest.newBuilder().addAllVmIds(ids).build());
      case ENABLE -> ids -> failover.enableProtection(
          EnableProtectionRequest.newBuilder().addAllVmIds(ids).build());
    };
    check(code, () -> call.apply(vmIds), fragments);
  }

  private void refusedCompletion(Code code, String jobId, String... fragments)
      throws Exception {
    check(code, () -> failover.completeFailover(
        CompleteFailoverRequest.newBuilder().setJobId(jobId).build()), fragments);
  }

  /** Runs a call that must fail with {@code code}; nothing about the item or jobs changes. */
  private void check(Code code, Executable call, String... fragments) throws Exception {
    ProtectedItem before = itemOrNull();
    int jobs = fixture.controller.server.jobs().list("").size();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    String description = e.getStatus().getDescription();
    assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
    for (String fragment : fragments) {
      assertTrue(description != null && description.contains(fragment),
          "'" + description + "' does not say '" + fragment + "'");
    }
    assertEquals(before, itemOrNull(), "a refused call changed the item");
    assertEquals(jobs, fixture.controller.server.jobs().list("").size(),
        "a refused call created a job");
  }

  private ProtectedItem itemOrNull() throws Exception {
    return fixture.controller.server.lifecycle().items().stream()
        .filter(i -> i.getVmId().equals(fixture.vmId)).findFirst().orElse(null);
  }

  private static String rpcName(Act act) {
    return switch (act) {
      case PLANNED -> "PlannedFailover";
      case UNPLANNED -> "UnplannedFailover";
      case COMMIT -> "Commit";
      case ROLLBACK -> "RollbackFailback";
      case REVERSE -> "ReverseReplicate";
      case ENABLE -> "EnableProtection";
    };
  }
}
