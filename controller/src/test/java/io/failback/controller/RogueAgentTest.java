package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.text.BoundedText;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.GetVirtualMachineRequest;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HostServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc.InventoryServiceBlockingStub;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ListAuditEventsRequest;
import io.failback.proto.v1.ListHostsRequest;
import io.failback.proto.v1.VirtualMachine;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host (the project's agent with a tampered inventory, over real mutual TLS)
 * next to a legitimate one: what it reports is refused at the trust boundary, it cannot take
 * the other host's VM, and nothing outside the controller's state directory is touched.
 */
class RogueAgentTest {
  private static final String ROGUE = "hv-66";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private LifecycleFixture fixture;
  private Path rogueDir;

  private void start() throws Exception {
    fixture = new LifecycleFixture(dir, cleanup);
    rogueDir = dir.resolve(ROGUE);
    SimulatedHostSeeder.seed(rogueDir, ROGUE, List.of(new VmSpec("evil-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 32L * LifecycleFixture.MIB),
            new DiskSpec(DiskFormat.RAW, 16L * LifecycleFixture.MIB)))));
  }

  private RogueAgent rogue(UnaryOperator<HostInventory> tamper, Integer lane) throws Exception {
    return cleanup.register(new RogueAgent("localhost:" + fixture.controller.port(),
        fixture.controller.pki.agent(ROGUE), rogueDir, tamper, lane));
  }

  private InventoryServiceBlockingStub inventory() throws Exception {
    return InventoryServiceGrpc.newBlockingStub(fixture.controller.channel(
        fixture.controller.pki.operator("ops")));
  }

  private Host awaitRogue(java.util.function.Predicate<Host> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      Host rogue = inventory().listHosts(ListHostsRequest.getDefaultInstance()).getHostsList()
          .stream().filter(h -> h.getName().equals(ROGUE)).findFirst().orElse(null);
      if (rogue != null && condition.test(rogue)) {
        return rogue;
      }
      assertTrue(System.nanoTime() < deadline, "rogue host never reached the state: " + rogue);
      Thread.sleep(50);
    }
  }

  private static UnaryOperator<HostInventory> vmId(String id) {
    return inventory -> inventory.toBuilder().setVirtualMachines(0,
        inventory.getVirtualMachines(0).toBuilder().setId(id)).build();
  }

  private Set<Path> filesOutsideState() throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> !p.startsWith(fixture.controller.stateDir))
          .filter(p -> !p.startsWith(fixture.hostDir)).filter(p -> !p.startsWith(rogueDir))
          .filter(p -> !p.startsWith(dir.resolve("pki")))
          .collect(Collectors.toSet());
    }
  }

  @Test
  void traversalAndMalformedIdsAreRefusedBeforeAnythingIsStored() throws Exception {
    start();
    Set<Path> before = filesOutsideState();
    for (String id : List.of("../../outside", "/etc/passwd", "..\\..\\x", "x".repeat(10_000),
        "1b4e28ba-2fa1-11d2-883f-0016d3cca42/", "")) {
      try (RogueAgent rogue = rogue(vmId(id), null)) {
        Host refused = awaitRogue(h -> h.getRegistrationRefused().contains(
            BoundedText.quote(id) + " is not a VM id"));
        assertTrue(refused.getRegistrationRefused().contains("is not a VM id"),
            refused.getRegistrationRefused());
        assertTrue(refused.getRegistrationRefused().length() < 2048,
            "the refusal echoes the id unbounded");
        assertEquals(0, refused.getInventory().getVirtualMachinesCount());
        assertFalse(fixture.controller.server.registry().isOnline(ROGUE));
      }
    }
    assertEquals(before, filesOutsideState());
  }

  @Test
  void anotherHostsVmIdIsAConflictAndTheRealVmIsTheOnlyOneEverUsed() throws Exception {
    start();
    RogueAgent rogue = rogue(vmId(fixture.vmId), null);
    Host shown = awaitRogue(h -> h.getVmConflictsCount() == 1);
    assertEquals(fixture.vmId, shown.getVmConflicts(0).getVmId());
    assertEquals("hv-01", shown.getVmConflicts(0).getOwnerHost());
    assertEquals(0, shown.getInventory().getVirtualMachinesCount(),
        "the conflicting VM is kept out of the rogue's inventory");
    VirtualMachine vm = inventory().getVirtualMachine(GetVirtualMachineRequest.newBuilder()
        .setVmId(fixture.vmId.toUpperCase()).build());
    assertEquals("hv-01", vm.getHostName());
    assertTrue(HostServiceGrpc.newBlockingStub(fixture.controller.channel(
        fixture.controller.pki.operator("ops"))).listAuditEvents(ListAuditEventsRequest
        .newBuilder().setTarget("vm/" + fixture.vmId).build()).getEventsList().stream()
        .anyMatch(e -> e.getAction().equals("vm.conflict") && e.getDetail().contains(ROGUE)));

    fixture.awaitState(fixture.controller.server.lifecycle().enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
    assertEquals("hv-01", fixture.item().getOnPremHost());
    assertEquals(0, rogue.hypervisorCalls.get(), "the rogue host was asked to act");
    assertTrue(rogue.syncStatuses.isEmpty(), "the rogue host took part in a sync");
  }

  @Test
  void oversizedInventoriesAndUnknownEnumsAreRefusedWithTheirStatus() throws Exception {
    start();
    UnaryOperator<HostInventory> crowd = inventory -> {
      HostInventory.Builder many = inventory.toBuilder();
      for (int i = 0; i < 1100; i++) {
        many.addVirtualMachines(inventory.getVirtualMachines(0).toBuilder()
            .setId(String.format("00000000-0000-0000-0000-%012d", i)));
      }
      return many.build();
    };
    try (RogueAgent rogue = rogue(crowd, null)) {
      Host refused = awaitRogue(h -> !h.getRegistrationRefused().isEmpty());
      assertTrue(refused.getRegistrationRefused().contains("at most 1024"),
          refused.getRegistrationRefused());
    }
    UnaryOperator<HostInventory> unknownFormat = inventory -> inventory.toBuilder()
        .setVirtualMachines(0, inventory.getVirtualMachines(0).toBuilder().setDisks(0,
            inventory.getVirtualMachines(0).getDisks(0).toBuilder().setFormatValue(99)))
        .build();
    try (RogueAgent rogue = rogue(unknownFormat, null)) {
      Host refused = awaitRogue(h -> h.getRegistrationRefused().contains("format"));
      assertTrue(refused.getRegistrationRefused().contains("unknown value 99"),
          refused.getRegistrationRefused());
    }
    try (RogueAgent rogue = rogue(vmId("x".repeat(1 << 20)), null)) {
      Host refused = awaitRogue(h -> h.getRegistrationRefused().contains("bytes; at most"));
      assertTrue(refused.getRegistrationRefused().contains("are allowed per host"),
          refused.getRegistrationRefused());
    }
    // Every host list still fits one answer: nothing of the refused inventories was stored.
    assertEquals(2, inventory().listHosts(ListHostsRequest.getDefaultInstance())
        .getHostsCount());
  }

  @Test
  void aLaneOutOfRangeIsInvalidArgumentNotAnUnknownError() throws Exception {
    start();
    RogueAgent rogue = rogue(inventory -> inventory, -1);
    awaitRogue(h -> h.getStatus() == io.failback.proto.v1.HostStatus.ONLINE);
    String evil = fixture.controller.server.registry().host(ROGUE).orElseThrow()
        .getInventory().getVirtualMachines(0).getId();
    fixture.awaitState(fixture.controller.server.lifecycle().enableProtection(evil),
        JobState.JOB_FAILED);
    assertFalse(rogue.syncStatuses.isEmpty());
    for (Status status : rogue.syncStatuses) {
      assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
      assertTrue(status.getDescription().contains("lane 4294967295 is out of range"),
          status.getDescription());
    }
  }
}
