package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.hash.ZeroBlocks;
import io.failback.common.sync.SyncProgress;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * An upload's lanes each reach the controller over a connection of their own (AgentChannels),
 * so that each has the window grpc auto-tunes per connection; a download's lanes ride the
 * control connection, whose window the agent sets. Counted at a proxy in front of the
 * controller, as bytes per TCP connection: TLS runs through it end to end.
 */
class UploadConnectionsTest extends SyncGrpcTestBase {
  private static final int BLOCK = 64 * 1024;

  @Test
  void anUploadsLanesEachHaveAConnectionAndADownloadRidesTheControlOne() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    CuttingProxy proxy = cleanup.register(new CuttingProxy(controller.port(), List.of()));
    List<VirtualDisk> disks = startAgent(controller, proxy.port());
    assertEquals(1, proxy.towardsController.size(), "registering opens the control connection");

    long before = proxy.towardsController.get(0).get();
    long payload = payload(upload(controller, disks, "protect-1"));
    assertEquals(3, proxy.towardsController.size(), "two lanes, two upload connections");
    long controlCarried = proxy.towardsController.get(0).get() - before;
    assertTrue(controlCarried < MIB, "the control connection carried " + controlCarried
        + " bytes of an upload of " + payload);
    long first = proxy.towardsController.get(1).get();
    long second = proxy.towardsController.get(2).get();
    // Every block that is not zero crossed once, plus frames and TLS records; each lane
    // carried a share of them (its batches), so neither connection carried them all.
    assertTrue(first + second >= payload && first + second < payload + 2 * MIB,
        "the upload connections carried " + first + " + " + second + " bytes of " + payload);
    assertTrue(first > payload / 4 && second > payload / 4,
        "one lane's connection carried little: " + first + " / " + second);

    // The next cycle reuses both connections rather than opening more.
    upload(controller, disks, "protect-2");
    assertEquals(3, proxy.towardsController.size(), "a second upload opened connections");

    long downBefore = proxy.fromController.get(0).get();
    byte[] cloud = randomImage(64L * MIB, 7);
    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 64L * MIB).close();
    writeAll(cloudDisk, cloud);
    Path agentRaw = Path.of(disks.get(0).getPath());
    SyncOutcome outcome = sync(controller, cloudDisk, agentRaw, "failback-1", 64L * MIB,
        SyncRole.TARGET);
    assertTrue(outcome.digestsMatch(), outcome.toString());
    assertArrayEquals(cloud, readAll(agentRaw));
    assertEquals(3, proxy.towardsController.size(), "a download opened a connection");
    long downCarried = proxy.fromController.get(0).get() - downBefore;
    assertTrue(downCarried >= payload(cloud), "the control connection carried " + downCarried
        + " bytes of a download of " + payload(cloud));
  }

  @Test
  void noUploadConnectionsSendsUploadsOverTheControlConnection() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    CuttingProxy proxy = cleanup.register(new CuttingProxy(controller.port(), List.of()));
    List<VirtualDisk> disks = startAgent(controller, proxy.port(), config -> config
        .withTransport(config.transport().withAgentUploadConnections(0)));
    AtomicLong control = proxy.towardsController.get(0);
    long before = control.get();
    long payload = payload(upload(controller, disks, "protect-1"));
    assertEquals(1, proxy.towardsController.size(), "an upload connection was opened");
    assertTrue(control.get() - before >= payload, "the control connection carried "
        + (control.get() - before) + " bytes of an upload of " + payload);
  }

  /**
   * Cut links: every connection is cut twice mid-upload; each lane opens again on an upload
   * connection (the cut one's lease released with its stream) and resumes from its durable
   * checkpoint, and the cloud disk ends equal to the agent's.
   */
  @Test
  void anUploadWhoseConnectionsAreCutResumesOnNewOnes() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    CuttingProxy proxy = cleanup.register(new CuttingProxy(controller.port(),
        List.of(10L * MIB, 24L * MIB)));
    List<VirtualDisk> disks = startAgent(controller, proxy.port());
    long payload = payload(upload(controller, disks, "protect-cut"));
    assertEquals(2, proxy.cuts.get(), "the proxy did not cut twice");
    // Control and two upload connections, then all of them again after each cut.
    assertTrue(proxy.towardsController.size() >= 7, proxy.towardsController.size()
        + " connections for two cuts");
    long carried = proxy.towardsController.stream().mapToLong(AtomicLong::get).sum();
    assertTrue(carried >= payload, "the connections carried " + carried + " bytes of "
        + payload);
  }

  /** Protection's direction: the agent's 48 MiB VHDX into a new cloud VHDX, two lanes. */
  private byte[] upload(ControllerFixture controller, List<VirtualDisk> disks, String session)
      throws Exception {
    Path agentVhdx = Path.of(disks.get(1).getPath());
    byte[] data = randomImage(48L * MIB, session.hashCode());
    writeAll(agentVhdx, data);
    Path cloudVhdx = dir.resolve(session + ".vhdx");
    BlockDevices.createDynamicVhdx(cloudVhdx, 48L * MIB, 1 << 20, 512).close();
    SyncOutcome outcome = sync(controller, cloudVhdx, agentVhdx, session, 48L * MIB,
        SyncRole.SOURCE);
    assertTrue(outcome.digestsMatch(), outcome.toString());
    assertArrayEquals(data, readAll(cloudVhdx));
    return data;
  }

  /** The bytes of {@code image}'s blocks that are not zero: what a full upload sends. */
  private static long payload(byte[] image) {
    long bytes = 0;
    for (int block = 0; block < image.length / BLOCK; block++) {
      if (!ZeroBlocks.isAllZero(image, block * BLOCK, BLOCK)) {
        bytes += BLOCK;
      }
    }
    return bytes;
  }

  private static SyncOutcome sync(ControllerFixture controller, Path local, Path agentDisk,
      String session, long size, SyncRole agentRole) throws Exception {
    SyncParameters parameters = parameters(session, SyncMode.FULL, size).toBuilder()
        .setCompress(false).build();
    try (BlockDevice device = BlockDevices.open(local, agentRole == SyncRole.SOURCE)) {
      return controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(parameters).setAgentRole(agentRole)
              .setDiskPath(agentDisk.toString()).build(),
          device, Map.of(), checkpoint -> {}, new SyncProgress()).get(60, TimeUnit.SECONDS);
    }
  }
}
