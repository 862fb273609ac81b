package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.SimulatedHostSeeder;
import io.failback.agent.hyperv.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.SimulatedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.sync.SyncProgress;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.sync.SyncOutcome;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.ClearInconsistent;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.Registered;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.StartVm;
import io.failback.proto.v1.SyncDiskRequest;
import io.failback.proto.v1.SyncDiskResponse;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncOpen;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Block sync between a real controller and a real agent over mutual TLS. */
class SyncOverGrpcTest {
  static final int MIB = 1 << 20;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private final BlockingQueue<Registered> registrations = new LinkedBlockingQueue<>();

  private List<VirtualDisk> startAgent(ControllerFixture controller, int port)
      throws Exception {
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("app-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 64L * MIB),
            new DiskSpec(DiskFormat.VHDX, 48L * MIB)))));
    AgentConfig config = AgentConfig.withDefaults("localhost:" + port,
        controller.pki.agent("hv-01"), hostDir)
        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200));
    cleanup.register(AgentClient.start(config, Clock.systemUTC(),
        new ControlSession.SessionListener() {
          @Override
          public void registered(Registered registered) {
            registrations.add(registered);
          }
        }));
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent never registered");
    return new SimulatedHypervisor(hostDir).inventory().getVirtualMachines(0).getDisksList();
  }

  private static SyncParameters parameters(String id, SyncMode mode, long size) {
    return SyncParameters.newBuilder().setSessionId(id).setMode(mode)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(new Random().nextLong())
        .setBlockSize(64 * 1024).setBlocksPerBatch(32).setDiskSize(size).setLaneCount(2)
        .setWindowBatches(4).setCompress(true).build();
  }

  private static byte[] randomImage(long size, long seed) {
    byte[] data = new byte[(int) size];
    Random random = new Random(seed);
    for (int block = 0; block < size / (64 * 1024); block++) {
      if (random.nextInt(4) != 0) { // a quarter of the blocks stay zero
        byte[] chunk = new byte[64 * 1024];
        random.nextBytes(chunk);
        System.arraycopy(chunk, 0, data, block * 64 * 1024, chunk.length);
      }
    }
    return data;
  }

  private static byte[] readAll(Path path) throws Exception {
    try (BlockDevice device = BlockDevices.open(path, false)) {
      ByteBuffer buffer = ByteBuffer.allocate((int) device.size());
      device.read(0, buffer);
      return buffer.array();
    }
  }

  private static void writeAll(Path path, byte[] data) throws Exception {
    try (BlockDevice device = BlockDevices.open(path, true)) {
      device.write(0, ByteBuffer.wrap(data));
      device.flush();
    }
  }

  @Test
  void failbackDirectionDeltaThenReverseFull() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    Path agentRaw = Path.of(disks.get(0).getPath());

    // Failback: the cloud copy (controller side) is the source, the on-prem raw disk the target.
    byte[] cloud = randomImage(64L * MIB, 1);
    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 64L * MIB).close();
    writeAll(cloudDisk, cloud);
    byte[] onPrem = cloud.clone();
    for (int i = 0; i < 10; i++) { // the on-prem disk is an older copy: 10 blocks differ
      onPrem[(i * 97 % 1024) * 64 * 1024 + 5] ^= 0x5a;
    }
    writeAll(agentRaw, onPrem);

    SyncProgress progress = new SyncProgress();
    SyncOutcome outcome;
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      outcome = controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters("failback-1", SyncMode.DELTA, 64L * MIB))
              .setAgentRole(SyncRole.TARGET).setDiskPath(agentRaw.toString()).build(),
          local, Map.of(), checkpoint -> {}, progress).get(60, TimeUnit.SECONDS);
    }
    assertTrue(outcome.digestsMatch(), outcome.toString());
    assertArrayEquals(cloud, readAll(agentRaw));
    assertEquals(10, outcome.agent().getBlocksSent() + outcome.agent().getBlocksZero());
    assertEquals(1024 - 10, outcome.agent().getBlocksEqual());

    // Reverse replication: the on-prem VHDX is the source, a new cloud VHDX the target.
    Path agentVhdx = Path.of(disks.get(1).getPath());
    byte[] vhdxData = randomImage(48L * MIB, 2);
    writeAll(agentVhdx, vhdxData);
    Path cloudVhdx = dir.resolve("cloud.vhdx");
    BlockDevices.createDynamicVhdx(cloudVhdx, 48L * MIB, 1 << 20, 512).close();
    try (BlockDevice local = BlockDevices.open(cloudVhdx, true)) {
      outcome = controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters("reverse-1", SyncMode.FULL, 48L * MIB))
              .setAgentRole(SyncRole.SOURCE).setDiskPath(agentVhdx.toString()).build(),
          local, Map.of(), checkpoint -> {}, new SyncProgress()).get(60, TimeUnit.SECONDS);
    }
    assertTrue(outcome.digestsMatch(), outcome.toString());
    assertArrayEquals(vhdxData, readAll(cloudVhdx));
  }

  @Test
  void cutConnectionsResumeFromDurableCheckpoints() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    CuttingProxy proxy = cleanup.register(new CuttingProxy(controller.port(),
        List.of(12L * MIB, 30L * MIB)));
    List<VirtualDisk> disks = startAgent(controller, proxy.port());
    Path agentRaw = Path.of(disks.get(0).getPath());
    byte[] cloud = randomImage(64L * MIB, 3);
    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 64L * MIB).close();
    writeAll(cloudDisk, cloud);

    Map<Integer, LaneCheckpoint> persisted = new java.util.concurrent.ConcurrentHashMap<>();
    SyncParameters parameters = parameters("cut-1", SyncMode.FULL, 64L * MIB).toBuilder()
        .setCompress(false).build();
    SyncOutcome outcome;
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      outcome = controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters).setAgentRole(SyncRole.TARGET)
              .setDiskPath(agentRaw.toString()).build(),
          local, Map.of(), cp -> persisted.put(cp.getLane(), cp), new SyncProgress())
          .get(120, TimeUnit.SECONDS);
    }
    assertEquals(2, proxy.cuts.get(), "the proxy did not cut twice");
    assertTrue(outcome.agent().getResumes() > 0, "no lane resumed: " + outcome.agent());
    assertTrue(outcome.digestsMatch());
    assertArrayEquals(cloud, readAll(agentRaw));
    // Blocks already durable before a cut were not sent again: at most one window per lane
    // per cut is redone.
    long blocks = 64L * MIB / (64 * 1024);
    long sent = outcome.controller().progress().blocksSent()
        + outcome.controller().progress().blocksZero();
    long redoBound = 2L * parameters.getLaneCount() * parameters.getWindowBatches()
        * parameters.getBlocksPerBatch();
    assertTrue(sent >= blocks && sent <= blocks + redoBound,
        "sent " + sent + " blocks for " + blocks + " (redo bound " + redoBound + ")");
    assertEquals(blocks, outcome.controller().progress().blocksSettled());
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
  void twoDisksOfAVmSyncAtOnce() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    Path raw = Path.of(disks.get(0).getPath());
    Path vhdx = Path.of(disks.get(1).getPath());
    byte[] rawData = randomImage(64L * MIB, 11);
    byte[] vhdxData = randomImage(48L * MIB, 12);
    Path cloudRaw = dir.resolve("cloud-a.raw");
    Path cloudVhdx = dir.resolve("cloud-b.vhdx");
    BlockDevices.createRawSparse(cloudRaw, 64L * MIB).close();
    writeAll(cloudRaw, rawData);
    BlockDevices.createDynamicVhdx(cloudVhdx, 48L * MIB, 1 << 20, 512).close();
    writeAll(cloudVhdx, vhdxData);
    try (BlockDevice a = BlockDevices.open(cloudRaw, false);
        BlockDevice b = BlockDevices.open(cloudVhdx, false)) {
      CompletableFuture<SyncOutcome> first = controller.server.syncs().sync("hv-01",
          StartSync.newBuilder().setParameters(parameters("pair-a", SyncMode.DELTA, 64L * MIB))
              .setAgentRole(SyncRole.TARGET).setDiskPath(raw.toString()).build(), a, Map.of(),
          checkpoint -> {}, new SyncProgress());
      CompletableFuture<SyncOutcome> second = controller.server.syncs().sync("hv-01",
          StartSync.newBuilder().setParameters(parameters("pair-b", SyncMode.FULL, 48L * MIB))
              .setAgentRole(SyncRole.TARGET).setDiskPath(vhdx.toString()).build(), b, Map.of(),
          checkpoint -> {}, new SyncProgress());
      assertTrue(first.get(60, TimeUnit.SECONDS).digestsMatch());
      assertTrue(second.get(60, TimeUnit.SECONDS).digestsMatch());
    }
    assertArrayEquals(rawData, readAll(raw));
    assertArrayEquals(vhdxData, readAll(vhdx));
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

  private static CommandResult command(ControllerFixture controller, Command command)
      throws Exception {
    return controller.server.registry().send("hv-01", command).get(20, TimeUnit.SECONDS);
  }

  @Test
  void phaseTwoOverGrpcSendsOnlyTheTrackedBlocks() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    Path onPrem = Path.of(disks.get(0).getPath());
    byte[] cloud = randomImage(64L * MIB, 31);
    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 64L * MIB).close();
    writeAll(cloudDisk, cloud);
    SyncParameters phaseOne = parameters("phase-1", SyncMode.DELTA, 64L * MIB).toBuilder()
        .setDigestSet("item-1-disk-0").build();
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      controller.server.syncs().sync("hv-01", StartSync.newBuilder().setParameters(phaseOne)
              .setAgentRole(SyncRole.TARGET).setDiskPath(onPrem.toString()).build(), local,
          Map.of(), checkpoint -> {}, new SyncProgress()).get(60, TimeUnit.SECONDS);
    }
    // The cloud VM keeps writing: 7 blocks change, tracked by the cloud side.
    java.util.BitSet changed = new java.util.BitSet();
    for (int block : new int[] {0, 3, 4, 100, 511, 512, 1023}) {
      cloud[block * 64 * 1024 + 17] ^= 0x3c;
      changed.set(block);
    }
    writeAll(cloudDisk, cloud);
    SyncParameters phaseTwo = phaseOne.toBuilder().setSessionId("phase-2")
        .setMode(SyncMode.TRACKED).build();
    SyncOutcome outcome;
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      outcome = controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(phaseTwo).setAgentRole(SyncRole.TARGET)
              .setDiskPath(onPrem.toString()).build(), local, Map.of(), checkpoint -> {},
          new SyncProgress(), changed).get(60, TimeUnit.SECONDS);
    }
    assertTrue(outcome.digestsMatch(), outcome.toString());
    assertEquals(7, outcome.agent().getBlocksSent() + outcome.agent().getBlocksZero());
    assertEquals(0, outcome.agent().getBytesRead(), "the on-prem side reads nothing");
    assertArrayEquals(cloud, readAll(onPrem));
  }
}
