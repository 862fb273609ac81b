package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.AuditEvent;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.FenceHostRequest;
import io.failback.proto.v1.GetHostRequest;
import io.failback.proto.v1.GetVirtualMachineRequest;
import io.failback.proto.v1.HostServiceGrpc;
import io.failback.proto.v1.HostServiceGrpc.HostServiceBlockingStub;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ListAuditEventsRequest;
import io.failback.proto.v1.MoveVirtualMachineRequest;
import io.failback.proto.v1.RemoveHostRequest;
import io.failback.proto.v1.UnfenceHostRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** An operator fences, unfences and removes hosts and moves VMs, over real mutual TLS. */
class HostAdminTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private static void await(BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!holds(condition)) {
      assertTrue(System.nanoTime() < deadline, what);
      Thread.sleep(20);
    }
  }

  /** False, rather than an error, while what the condition asks about does not exist yet. */
  private static boolean holds(BooleanSupplier condition) {
    try {
      return condition.getAsBoolean();
    } catch (StatusRuntimeException notYet) {
      return false;
    }
  }

  private HostServiceBlockingStub hosts(LifecycleFixture fixture) throws Exception {
    return HostServiceGrpc.newBlockingStub(fixture.controller.channel(
        fixture.controller.pki.operator("ops")));
  }

  @Test
  void aFencedHostIsCutOffAtOnceRefusedWhateverItsCertificateAndAudited() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    HostServiceBlockingStub hosts = hosts(fixture);
    var registry = fixture.controller.server.registry();
    var shown = hosts.fenceHost(FenceHostRequest.newBuilder().setHostName("HV-01")
        .setReason("ransomware on hv-01").build());
    assertEquals("ransomware on hv-01", shown.getFence().getReason());
    assertTrue(shown.getFence().getFencedBy().endsWith("/operator/ops"));
    await(() -> !registry.isOnline("hv-01"), "the fenced host's stream stayed open");
    Thread.sleep(1000); // the agent retries every 50-200 ms: each attempt must be refused
    assertFalse(registry.isOnline("hv-01"), "a fenced host registered again");
    assertThrows(Exception.class, () -> fixture.command(io.failback.proto.v1.Command
        .newBuilder().setRefreshInventory(io.failback.proto.v1.RefreshInventory
            .getDefaultInstance())));

    hosts.unfenceHost(UnfenceHostRequest.newBuilder().setHostName("hv-01").build());
    fixture.awaitAgentOnline();
    StatusRuntimeException again = assertThrows(StatusRuntimeException.class,
        () -> hosts.unfenceHost(UnfenceHostRequest.newBuilder().setHostName("hv-01").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, again.getStatus().getCode());

    List<String> actions = hosts.listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setTarget("host/hv-01").build()).getEventsList().stream()
        .map(AuditEvent::getAction).toList();
    assertEquals(List.of("host.unfence", "host.fence"), actions);
    AuditEvent fence = hosts.listAuditEvents(ListAuditEventsRequest.getDefaultInstance())
        .getEventsList().stream().filter(e -> e.getAction().equals("host.fence")).findFirst()
        .orElseThrow();
    assertEquals(64, fence.getCertificateFingerprint().length());
  }

  @Test
  void fencingRefusesBadInputAndNeedsAReason() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    HostServiceBlockingStub hosts = hosts(fixture);
    for (FenceHostRequest bad : List.of(
        FenceHostRequest.newBuilder().setHostName("hv-01").build(),
        FenceHostRequest.newBuilder().setHostName("../x").setReason("r").build(),
        FenceHostRequest.newBuilder().setHostName("h".repeat(100_000)).setReason("r").build())) {
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> hosts.fenceHost(bad));
      assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
      assertTrue(refused.getStatus().getDescription().length() < 1024);
    }
    assertTrue(fixture.controller.server.registry().isOnline("hv-01"));
  }

  @Test
  void aHostIsRemovedOnlyWhenNoProtectedItemNeedsIt() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    HostServiceBlockingStub hosts = hosts(fixture);
    fixture.awaitState(fixture.controller.server.lifecycle().enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> hosts.removeHost(RemoveHostRequest.newBuilder().setHostName("hv-01").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains(fixture.vmId));

    // Once its protection is disabled the VM keeps the host no longer: it has nothing in the
    // cloud. The item stays, UNPROTECTED, with the generation the host's agent has seen.
    fixture.awaitState(fixture.controller.server.lifecycle().disableProtection(
        io.failback.controller.lifecycle.Targets.of(java.util.List.of(fixture.vmId)),
        fixture.controller.server.recoveryPlans(), false),
        JobState.JOB_SUCCEEDED);
    hosts.removeHost(RemoveHostRequest.newBuilder().setHostName("hv-01").build());
    StatusRuntimeException gone = assertThrows(StatusRuntimeException.class,
        () -> hosts.removeHost(RemoveHostRequest.newBuilder().setHostName("hv-01").build()));
    assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
    assertEquals(io.failback.proto.v1.ProtectionState.UNPROTECTED, fixture.item().getState());

    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> hosts.removeHost(RemoveHostRequest.newBuilder().setHostName("hv-99").build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
  }

  @Test
  void aVmMovesToTheHostItRunsOnOnlyByAnOperatorAndItsItemFollows() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    HostServiceBlockingStub hosts = hosts(fixture);
    fixture.awaitState(fixture.controller.server.lifecycle().enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    // hv-02 reports the same VM: a live migration on-prem, as Hyper-V keeps the VM's id.
    Path hv02 = dir.resolve("hv-02");
    SimulatedHostSeeder.seed(hv02, "hv-02", List.of(new VmSpec("app-01", "Running",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 16L * LifecycleFixture.MIB)))));
    RogueAgent hv02Agent = cleanup.register(new RogueAgent("localhost:"
        + fixture.controller.port(), fixture.controller.pki.agent("hv-02"), hv02,
        inventory -> inventory.toBuilder().setVirtualMachines(0,
            inventory.getVirtualMachines(0).toBuilder().setId(fixture.vmId)).build(), null));
    var inventory = InventoryServiceGrpc.newBlockingStub(fixture.controller.channel(
        fixture.controller.pki.operator("ops")));
    await(() -> inventory.getHost(GetHostRequest.newBuilder().setHostName("hv-02").build())
        .getVmConflictsCount() == 1, "hv-02's report never became a conflict");
    assertEquals("hv-01", fixture.item().getOnPremHost());

    StatusRuntimeException nowhere = assertThrows(StatusRuntimeException.class,
        () -> hosts.moveVirtualMachine(MoveVirtualMachineRequest.newBuilder()
            .setVmId(fixture.vmId).setToHost("hv-03").setReason("migrated").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, nowhere.getStatus().getCode());
    hosts.moveVirtualMachine(MoveVirtualMachineRequest.newBuilder().setVmId(fixture.vmId)
        .setToHost("hv-02").setReason("live-migrated during maintenance").build());
    assertEquals("hv-02", fixture.item().getOnPremHost());
    await(() -> {
      try {
        return inventory.getVirtualMachine(GetVirtualMachineRequest.newBuilder()
            .setVmId(fixture.vmId).build()).getHostName().equals("hv-02");
      } catch (StatusRuntimeException notYet) {
        return false;
      }
    }, "the VM is not found on its new host");
    assertTrue(hosts.listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setTarget("vm/" + fixture.vmId).build()).getEventsList().stream()
        .anyMatch(e -> e.getAction().equals("vm.move") && e.getDetail().contains("hv-02")));
    assertEquals(0, hv02Agent.hypervisorCalls.get());
  }
}
