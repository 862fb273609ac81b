package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.CancelJobRequest;
import io.failback.proto.v1.CreateRecoveryPlanRequest;
import io.failback.proto.v1.DeleteRecoveryPlanRequest;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.GetRecoveryPlanRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.ListRecoveryPlansRequest;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.failback.proto.v1.RecoveryPlanServiceGrpc.RecoveryPlanServiceBlockingStub;
import io.failback.proto.v1.UpdateRecoveryPlanRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** RecoveryPlanService through the generated client over real mutual TLS. */
class RecoveryPlanServiceTest {
  private static final String DB = "4B3C0000-0000-4000-8000-0000000000DB";
  private static final String WEB = "0F1E0000-0000-4000-8000-00000000000E";
  private static final String GHOST = "deadbeef-0000-4000-8000-000000000000";
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  ControllerFixture controller;
  RecoveryPlanServiceBlockingStub operator;

  @BeforeEach
  void start() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir).start());
    controller.server.protectedItems().create(DB, "db-01", "hv-01");
    controller.server.protectedItems().create(WEB, "web-01", "hv-01");
    operator = RecoveryPlanServiceGrpc.newBlockingStub(channel(controller.pki.operator("ops")))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private ManagedChannel channel(TlsFiles identity) throws Exception {
    ManagedChannel channel = controller.channel(identity);
    cleanup.register(channel::shutdownNow);
    return channel;
  }

  private static RecoveryPlan twoTiers(String name, String dbId, String webId) {
    return RecoveryPlan.newBuilder().setName(name)
        .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(dbId)
            .setDelayAfter(Durations.fromMinutes(5)).setManualAction("check the database"))
        .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(webId))
        .build();
  }

  private RecoveryPlan create(RecoveryPlan plan) {
    return operator.createRecoveryPlan(CreateRecoveryPlanRequest.newBuilder().setPlan(plan)
        .build());
  }

  private static Status fails(Executable call) {
    return assertThrows(StatusRuntimeException.class, call).getStatus();
  }

  @Test
  void createGetListUpdateDelete() throws Exception {
    RecoveryPlan created = create(twoTiers("Tiers", DB.toLowerCase(), WEB.toLowerCase()));
    RecoveryPlan canonical = twoTiers("Tiers", DB, WEB);
    assertEquals(canonical, created);
    assertEquals(canonical, operator.getRecoveryPlan(GetRecoveryPlanRequest.newBuilder()
        .setName("TIERS").build()));
    assertEquals(List.of(canonical), operator.listRecoveryPlans(
        ListRecoveryPlansRequest.getDefaultInstance()).getPlansList());

    RecoveryPlan swapped = twoTiers("tiers", WEB, DB);
    RecoveryPlan updated = operator.updateRecoveryPlan(UpdateRecoveryPlanRequest.newBuilder()
        .setPlan(swapped).build());
    assertEquals(swapped.toBuilder().setName("Tiers").build(), updated);

    operator.deleteRecoveryPlan(DeleteRecoveryPlanRequest.newBuilder().setName("tiers").build());
    Status gone = fails(() -> operator.getRecoveryPlan(GetRecoveryPlanRequest.newBuilder()
        .setName("Tiers").build()));
    assertEquals(Status.Code.NOT_FOUND, gone.getCode());
    assertEquals("name 'Tiers' names no recovery plan; there are none yet; create one with"
        + " CreateRecoveryPlan", gone.getDescription());
  }

  @Test
  void thePlansRpoTargetReachesVmsAddedLater() throws Exception {
    create(RecoveryPlan.newBuilder().setName("Tiers")
        .addGroups(RecoveryPlanGroup.newBuilder().addVmIds(DB)).build());
    var failover = io.failback.proto.v1.FailoverServiceGrpc.newBlockingStub(
        channel(controller.pki.operator("ops"))).withDeadlineAfter(10, TimeUnit.SECONDS);
    failover.setRpoTarget(io.failback.proto.v1.SetRpoTargetRequest.newBuilder()
        .setRecoveryPlan("tiers").setRpoTarget(Durations.fromMinutes(10)).build());
    assertEquals(Durations.fromMinutes(10), operator.getRecoveryPlan(
        GetRecoveryPlanRequest.newBuilder().setName("Tiers").build()).getRpoTarget());
    assertEquals(Durations.fromMinutes(10), rpoTarget(DB));
    assertEquals(Durations.fromMinutes(15), rpoTarget(WEB), "not in the plan yet");

    // An update that names no target keeps the plan's; the VM it adds gets it.
    RecoveryPlan updated = operator.updateRecoveryPlan(UpdateRecoveryPlanRequest.newBuilder()
        .setPlan(twoTiers("Tiers", DB, WEB)).build());
    assertEquals(Durations.fromMinutes(10), updated.getRpoTarget());
    assertEquals(Durations.fromMinutes(10), rpoTarget(WEB));

    // A target given with the plan applies to its VMs at once; out of bounds is refused.
    operator.updateRecoveryPlan(UpdateRecoveryPlanRequest.newBuilder().setPlan(
        twoTiers("Tiers", DB, WEB).toBuilder().setRpoTarget(Durations.fromMinutes(5))).build());
    assertEquals(Durations.fromMinutes(5), rpoTarget(DB));
    assertEquals(Durations.fromMinutes(5), rpoTarget(WEB));
    Status tooShort = fails(() -> operator.updateRecoveryPlan(UpdateRecoveryPlanRequest
        .newBuilder().setPlan(twoTiers("Tiers", DB, WEB).toBuilder()
            .setRpoTarget(Durations.fromSeconds(30))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, tooShort.getCode());
    assertEquals("rpo_target must be from 1 minute to 30 days, got 30s",
        tooShort.getDescription());
    assertEquals(Durations.fromMinutes(5), rpoTarget(WEB), "a refused update changed an item");
  }

  private com.google.protobuf.Duration rpoTarget(String vmId) throws Exception {
    return controller.server.protectedItems().get(vmId).getRpoTarget();
  }

  @Test
  void plansSurviveARestart() throws Exception {
    RecoveryPlan created = create(twoTiers("Tiers", DB, WEB));
    controller.close();
    controller.start();
    operator = RecoveryPlanServiceGrpc.newBlockingStub(channel(controller.pki.operator("ops")))
        .withDeadlineAfter(10, TimeUnit.SECONDS);

    assertEquals(created, operator.getRecoveryPlan(GetRecoveryPlanRequest.newBuilder()
        .setName("Tiers").build()));
  }

  @Test
  void agentCertificateIsPermissionDenied() throws Exception {
    RecoveryPlanServiceBlockingStub agent = RecoveryPlanServiceGrpc.newBlockingStub(
        channel(controller.pki.agent("hv-01"))).withDeadlineAfter(10, TimeUnit.SECONDS);

    Status denied = fails(() -> agent.createRecoveryPlan(CreateRecoveryPlanRequest.newBuilder()
        .setPlan(twoTiers("Tiers", DB, WEB)).build()));

    assertEquals(Status.Code.PERMISSION_DENIED, denied.getCode());
    assertTrue(denied.getDescription().contains("RecoveryPlanService"), denied.getDescription());
    assertEquals(List.of(), controller.server.recoveryPlans().list());
  }

  @Test
  void unknownVmIsInvalidArgumentNamingIt() {
    Status invalid = fails(() -> create(twoTiers("Tiers", DB, GHOST)));

    assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getCode());
    assertEquals("group 2: vm '" + GHOST + "' is not a protected item; list them with"
        + " ListProtectedItems", invalid.getDescription());
    assertEquals(0, operator.listRecoveryPlans(ListRecoveryPlansRequest.getDefaultInstance())
        .getPlansCount());
  }

  @Test
  void missingPlanIsInvalidArgument() {
    Status invalid = fails(() -> operator.createRecoveryPlan(
        CreateRecoveryPlanRequest.getDefaultInstance()));

    assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getCode());
    assertTrue(invalid.getDescription().startsWith("plan is missing"), invalid.getDescription());
  }

  @Test
  void duplicateNameIsAlreadyExists() {
    RecoveryPlan first = create(twoTiers("Tiers", DB, WEB));

    Status exists = fails(() -> create(twoTiers("TIERS", WEB, DB)));

    assertEquals(Status.Code.ALREADY_EXISTS, exists.getCode());
    assertTrue(exists.getDescription().contains("recovery plan 'Tiers' already exists"),
        exists.getDescription());
    assertEquals(first, operator.getRecoveryPlan(GetRecoveryPlanRequest.newBuilder()
        .setName("Tiers").build()));
  }

  @Test
  void deleteWhileAnUnfinishedJobRunsThePlanIsFailedPrecondition() throws Exception {
    RecoveryPlan plan = create(twoTiers("Tiers", DB, WEB));
    Job job = controller.server.jobs().create("PlannedFailover",
        FailoverDirection.CLOUD_TO_ON_PREM, "tiers", Map.of(DB, List.of()));

    Status refused = fails(() -> operator.deleteRecoveryPlan(DeleteRecoveryPlanRequest
        .newBuilder().setName("Tiers").build()));

    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getCode());
    assertEquals("cannot delete recovery plan 'Tiers': job " + job.getId() + " (PlannedFailover,"
        + " JOB_QUEUED) runs it; wait for the job to end or cancel it with CancelJob, then"
        + " retry", refused.getDescription());
    assertEquals(plan, operator.getRecoveryPlan(GetRecoveryPlanRequest.newBuilder()
        .setName("Tiers").build()));

    JobServiceGrpc.newBlockingStub(channel(controller.pki.operator("ops")))
        .cancelJob(CancelJobRequest.newBuilder().setJobId(job.getId()).build());
    operator.deleteRecoveryPlan(DeleteRecoveryPlanRequest.newBuilder().setName("Tiers").build());
    assertEquals(0, operator.listRecoveryPlans(ListRecoveryPlansRequest.getDefaultInstance())
        .getPlansCount());
  }
}
