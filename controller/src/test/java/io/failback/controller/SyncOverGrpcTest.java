package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.sync.SyncProgress;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Block sync between a real controller and a real agent over mutual TLS. */
class SyncOverGrpcTest extends SyncGrpcTestBase {
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
    // The agent as the target says how its lanes spent their time (waiting for frames or
    // not), so the controller can tell a slow disk on-prem from a slow link.
    assertTrue(outcome.agent().getTargetLaneNanos() > 0, outcome.agent().toString());
    assertTrue(outcome.agent().getFrameWaitNanos() <= outcome.agent().getTargetLaneNanos(),
        outcome.agent().toString());
    assertEquals(0, outcome.agent().getSendNanos(), "the agent sent no blocks");
    // And how busy its machine's CPUs were meanwhile, in either role.
    assertTrue(outcome.agent().hasCpuBusyPermille()
        && outcome.agent().getCpuBusyPermille() <= 1000, outcome.agent().toString());

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
    assertTrue(outcome.agent().getSendNanos() > 0, outcome.agent().toString());
    assertEquals(0, outcome.agent().getTargetLaneNanos(), "the agent was the source");
    assertTrue(outcome.agent().hasCpuBusyPermille(), outcome.agent().toString());
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
        .setMode(SyncMode.TRACKED).setBatchesPerEnd(4096).build();
    SyncOutcome outcome;
    List<Long> acknowledged = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      outcome = controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(phaseTwo).setAgentRole(SyncRole.TARGET)
              .setDiskPath(onPrem.toString()).build(), local, Map.of(),
          checkpoint -> acknowledged.add(checkpoint.getWatermarkBlock()),
          new SyncProgress(), changed).get(60, TimeUnit.SECONDS);
    }
    assertTrue(outcome.digestsMatch(), outcome.toString());
    // 32 batches of 32 blocks on 2 lanes. The agent (sync revision 2, said when it registered)
    // takes one end for each run the cloud VM did not write: lane 0 batch 0, [1, 3), 3,
    // [4, 15), 15; lane 1 batch 16, [17, 31), 31. One batch per end would be 32.
    assertEquals(List.of(32L, 96L, 128L, 480L, 512L, 544L, 992L, 1024L),
        acknowledged.stream().sorted().toList());
    assertEquals(7, outcome.agent().getBlocksSent() + outcome.agent().getBlocksZero());
    assertEquals(0, outcome.agent().getBytesRead(), "the on-prem side reads nothing");
    assertArrayEquals(cloud, readAll(onPrem));
  }

  @Test
  void aFullDownloadOfAThinDiskClosesEachRunOfHolesWithOneEnd() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    Path onPrem = Path.of(disks.get(0).getPath());
    writeAll(onPrem, randomImage(64L * MIB, 41)); // what the download must turn into zeros
    byte[] cloud = thinCloudDisk();
    List<Long> acknowledged = new java.util.concurrent.CopyOnWriteArrayList<>();
    SyncOutcome outcome = fromThinDisk(controller, SyncMode.FULL, onPrem, acknowledged);
    assertTrue(outcome.digestsMatch(), outcome.toString());
    assertArrayEquals(cloud, readAll(onPrem));
    // Lane 0: the holes [0, 5), batch 5, the holes [6, 16); lane 1: [16, 20), 20, [21, 32).
    assertEquals(List.of(160L, 192L, 512L, 640L, 672L, 1024L),
        acknowledged.stream().sorted().toList());
    // The two batches of data: 24 of each one's 32 blocks are not zeros (see randomImage).
    assertEquals(48, outcome.agent().getBlocksSent());
  }

  @Test
  void phaseOneOfAThinDiskClosesEachRunOfHolesWithOneEnd() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    Path onPrem = Path.of(disks.get(0).getPath());
    byte[] cloud = thinCloudDisk();
    // On-prem: the same, but one block of batch 20 differs and batch 8, a hole in the cloud,
    // holds data (32 blocks, none of them zeros) that phase 1 must turn into zeros.
    byte[] held = cloud.clone();
    held[20 * 2 * MIB + 17] ^= 0x3c;
    byte[] stale = new byte[2 * MIB];
    new java.util.Random(43).nextBytes(stale);
    System.arraycopy(stale, 0, held, 8 * 2 * MIB, 2 * MIB);
    writeAll(onPrem, held);
    List<Long> acknowledged = new java.util.concurrent.CopyOnWriteArrayList<>();
    SyncOutcome outcome = fromThinDisk(controller, SyncMode.DELTA, onPrem, acknowledged);
    assertTrue(outcome.digestsMatch(), outcome.toString());
    assertArrayEquals(cloud, readAll(onPrem));
    // As for the full download: lane 0 [0, 5), 5, [6, 16); lane 1 [16, 20), 20, [21, 32).
    // One checksum batch per batch would be 32.
    assertEquals(List.of(160L, 192L, 512L, 640L, 672L, 1024L),
        acknowledged.stream().sorted().toList());
    // The agent zeroed batch 8's 32 blocks itself and got the one block of batch 20.
    assertEquals(33, outcome.agent().getBlocksSent() + outcome.agent().getBlocksZero());
    assertEquals(33, outcome.controller().progress().blocksSent()
        + outcome.controller().progress().blocksZero());
  }

  @Test
  void protectionFromAThinVhdxClosesEachRunOfItsHolesWithOneEnd() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    // The agent's dynamic VHDX: 24 batches of 32 blocks on 2 lanes, data only in batches 3
    // and 15; the rest of its blocks were never allocated (its BAT says so).
    Path vhdx = Path.of(disks.get(1).getPath());
    byte[] onPrem = new byte[48 * MIB];
    writeBatches(vhdx, onPrem, randomImage(2L * MIB, 51), 3, 15);
    // The cloud's copy: the same, but one block of batch 15 differs, and batches 7 and 20
    // hold data (none of it zeros) that the cycle must turn into zeros.
    Path cloudDisk = dir.resolve("protected.raw");
    BlockDevices.createRawSparse(cloudDisk, 48L * MIB).close();
    byte[] stale = onPrem.clone();
    stale[15 * 2 * MIB + 17] ^= 0x3c;
    byte[] noise = new byte[2 * MIB];
    new java.util.Random(52).nextBytes(noise);
    System.arraycopy(noise, 0, stale, 7 * 2 * MIB, 2 * MIB);
    System.arraycopy(noise, 0, stale, 20 * 2 * MIB, 2 * MIB);
    writeAll(cloudDisk, stale);
    List<Long> acknowledged = new java.util.concurrent.CopyOnWriteArrayList<>();
    SyncOutcome outcome;
    try (BlockDevice local = BlockDevices.open(cloudDisk, true)) {
      outcome = controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters("protect", SyncMode.DELTA, 48L * MIB).toBuilder()
                  .setBatchesPerEnd(256))
              .setAgentRole(SyncRole.SOURCE).setDiskPath(vhdx.toString()).build(), local,
          Map.of(), checkpoint -> acknowledged.add(checkpoint.getWatermarkBlock()),
          new SyncProgress()).get(60, TimeUnit.SECONDS);
    }
    assertTrue(outcome.digestsMatch(), outcome.toString());
    assertArrayEquals(onPrem, readAll(cloudDisk));
    // Lane 0: [0, 3), 3, [4, 12); lane 1: [12, 15), 15, [16, 24). One per batch would be 24.
    assertEquals(List.of(96L, 128L, 384L, 480L, 512L, 768L),
        acknowledged.stream().sorted().toList());
    // The controller zeroed batches 7 and 20 itself (64 blocks) and got one block of 15: so
    // its counters say, and so does the agent's report.
    assertEquals(65, outcome.controller().progress().blocksSent()
        + outcome.controller().progress().blocksZero());
    assertEquals(65, outcome.agent().getBlocksSent() + outcome.agent().getBlocksZero());
    assertEquals(768 - 65, outcome.agent().getBlocksEqual());
  }

  /**
   * A thin cloud disk, {@code thin.raw}: 32 batches of 32 blocks on 2 lanes, data only in
   * batches 5 and 20, the rest holes; returns what it holds.
   */
  private byte[] thinCloudDisk() throws Exception {
    Path disk = dir.resolve("thin.raw");
    BlockDevices.createRawSparse(disk, 64L * MIB).close();
    byte[] cloud = new byte[64 * MIB];
    writeBatches(disk, cloud, randomImage(2L * MIB, 42), 5, 20);
    return cloud;
  }

  /**
   * Writes {@code data} (one batch, 2 MiB) at each of {@code batches} of {@code disk}, leaving
   * the rest as it was (holes of a thin disk stay holes), and into {@code image} likewise.
   */
  private static void writeBatches(Path disk, byte[] image, byte[] data, int... batches)
      throws Exception {
    try (BlockDevice device = BlockDevices.open(disk, true)) {
      for (int batch : batches) {
        System.arraycopy(data, 0, image, batch * 2 * MIB, 2 * MIB);
        device.write((long) batch * 2 * MIB, java.nio.ByteBuffer.wrap(data));
      }
      device.flush();
    }
  }

  /**
   * A session of {@code mode} from {@code thin.raw} into the agent's {@code onPrem}, closing
   * up to 256 batches per end; each acknowledged watermark goes to {@code acknowledged}.
   */
  private SyncOutcome fromThinDisk(ControllerFixture controller, SyncMode mode, Path onPrem,
      List<Long> acknowledged) throws Exception {
    try (BlockDevice local = BlockDevices.open(dir.resolve("thin.raw"), false)) {
      return controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters("thin-" + mode, mode, 64L * MIB).toBuilder()
                  .setBatchesPerEnd(256))
              .setAgentRole(SyncRole.TARGET).setDiskPath(onPrem.toString()).build(), local,
          Map.of(), checkpoint -> acknowledged.add(checkpoint.getWatermarkBlock()),
          new SyncProgress()).get(60, TimeUnit.SECONDS);
    }
  }
}
