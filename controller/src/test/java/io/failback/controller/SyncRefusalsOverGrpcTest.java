package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.sync.SyncProgress;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.ClearInconsistent;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.StartVm;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.SyncDiskResponse;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncOpen;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Data streams and disks the controller or the agent must refuse, over real mTLS. */
class SyncRefusalsOverGrpcTest extends SyncGrpcTestBase {
  @Test
  void dataStreamsForUnknownOrForeignSessionsAreRefused() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    Status unknown = openRaw(controller, controller.pki.agent("hv-01"),
        SyncOpen.newBuilder().setSessionId("no-such-session").build());
    assertEquals(Status.Code.FAILED_PRECONDITION, unknown.getCode());
    assertTrue(unknown.getDescription().contains("unknown sync session"),
        unknown.getDescription());

    // A session with a stand-in agent for hv-03 that registers but never opens its lanes, so
    // the session stays open while other streams knock.
    ManagedChannel fake = controller.channel(controller.pki.agent("hv-03"));
    cleanup.register(fake::shutdownNow);
    CompletableFuture<io.failback.proto.v1.ControllerMessage> registered =
        new CompletableFuture<>();
    AgentServiceGrpc.newStub(fake).connect(MutualTlsTest.observer(new CompletableFuture<>(),
        registered)).onNext(MutualTlsTest.register("hv-03"));
    registered.get(10, TimeUnit.SECONDS);
    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 64L * MIB).close();
    BlockDevice local = cleanup.register(BlockDevices.open(cloudDisk, false));
    controller.server.syncs().sync("hv-03", StartSync.newBuilder()
            .setParameters(parameters("s-1", SyncMode.FULL, 64L * MIB))
            .setAgentRole(SyncRole.TARGET).setDiskPath("/disk/of/hv-03.raw").build(),
        local, Map.of(), checkpoint -> {}, new SyncProgress());
    Status foreign = openRaw(controller, controller.pki.agent("hv-01"),
        SyncOpen.newBuilder().setSessionId("s-1").build());
    assertEquals(Status.Code.PERMISSION_DENIED, foreign.getCode());
    assertTrue(foreign.getDescription().contains("belongs to host hv-03"),
        foreign.getDescription());
    Status lane = openRaw(controller, controller.pki.agent("hv-03"),
        SyncOpen.newBuilder().setSessionId("s-1").setLane(7).build());
    assertEquals(Status.Code.INVALID_ARGUMENT, lane.getCode());
  }

  @Test
  void agentRefusesDisksOutsideItsInventory() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    startAgent(controller, controller.port());
    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 64L * MIB).close();
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      ExecutionException refused = assertThrows(ExecutionException.class, () -> controller
          .server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters("s-2", SyncMode.FULL, 64L * MIB))
              .setAgentRole(SyncRole.TARGET).setDiskPath(dir.resolve("elsewhere.raw")
                  .toString()).build(), local, Map.of(), checkpoint -> {}, new SyncProgress())
          .get(30, TimeUnit.SECONDS));
      assertTrue(refused.getCause().getMessage().contains("not a disk of any VM"),
          refused.getCause().getMessage());
    }
  }

  @Test
  void agentRefusesToOverwriteTheDiskOfARunningVm() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("web-01", "Running",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 8L * MIB)))));
    cleanup.register(AgentClient.start(AgentConfig.withDefaults(controller.target(),
        controller.pki.agent("hv-01"), hostDir), Clock.systemUTC(),
        new ControlSession.SessionListener() {}));
    while (!controller.server.registry().isOnline("hv-01")) {
      Thread.sleep(20);
    }
    String disk = new SimulatedHypervisor(hostDir).inventory().getVirtualMachines(0)
        .getDisks(0).getPath();
    byte[] before = readAll(Path.of(disk));
    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 8L * MIB).close();
    writeAll(cloudDisk, randomImage(8L * MIB, 5));
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> controller.server
          .syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters("running-1", SyncMode.FULL, 8L * MIB))
              .setAgentRole(SyncRole.TARGET).setDiskPath(disk).build(), local, Map.of(),
              checkpoint -> {}, new SyncProgress()).get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("must be Off"), e.getCause().getMessage());
    }
    assertArrayEquals(before, readAll(Path.of(disk)));
  }

  @Test
  void targetVmStaysInconsistentUntilClearedAndRefusesToStart() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    Path raw = Path.of(disks.get(0).getPath());
    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 64L * MIB).close();
    writeAll(cloudDisk, randomImage(64L * MIB, 21));
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters("mark-1", SyncMode.FULL, 64L * MIB))
              .setAgentRole(SyncRole.TARGET).setDiskPath(raw.toString()).build(), local,
          Map.of(), checkpoint -> {}, new SyncProgress()).get(60, TimeUnit.SECONDS);
    }
    String vmId = new SimulatedHypervisor(dir.resolve("hv-01")).inventory()
        .getVirtualMachines(0).getId();
    CommandResult start = command(controller, Command.newBuilder().setCommandId("c1")
        .setStartVm(StartVm.newBuilder().setVmId(vmId)).build());
    assertTrue(start.getError().contains("INCONSISTENT"), start.toString());
    assertTrue(controller.server.registry().refreshInventory("hv-01"));

    CommandResult cleared = command(controller, Command.newBuilder().setCommandId("c2")
        .setClearInconsistent(ClearInconsistent.newBuilder().setVmId(vmId)).build());
    assertEquals("", cleared.getError());
    CommandResult started = command(controller, Command.newBuilder().setCommandId("c3")
        .setStartVm(StartVm.newBuilder().setVmId(vmId)).build());
    assertEquals("", started.getError());
    assertEquals(io.failback.proto.v1.PowerState.RUNNING,
        started.getInventory().getVirtualMachines(0).getPowerState());
  }

  /** Opens a raw SyncDisk stream as {@code identity} and returns how the controller ends it. */
  private Status openRaw(ControllerFixture controller, TlsFiles identity, SyncOpen open)
      throws Exception {
    ManagedChannel channel = controller.channel(identity);
    cleanup.register(channel::shutdownNow);
    CompletableFuture<Status> ended = new CompletableFuture<>();
    StreamObserver<SyncDiskRequest> requests = AgentServiceGrpc.newStub(channel)
        .syncDisk(new StreamObserver<>() {
          @Override
          public void onNext(SyncDiskResponse value) {}

          @Override
          public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            ended.complete(Status.OK);
          }
        });
    requests.onNext(SyncDiskRequest.newBuilder().setOpen(open).build());
    return ended.get(20, TimeUnit.SECONDS);
  }

  private static CommandResult command(ControllerFixture controller, Command command)
      throws Exception {
    return controller.server.registry().send("hv-01", command).get(20, TimeUnit.SECONDS);
  }
}
