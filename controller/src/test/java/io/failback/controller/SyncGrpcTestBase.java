package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.Registered;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.VirtualDisk;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What the sync-over-gRPC tests share: a controller, a real agent, images and parameters. */
abstract class SyncGrpcTestBase {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  static final int MIB = 1 << 20;

  final BlockingQueue<Registered> registrations = new LinkedBlockingQueue<>();
  /** The agent {@link #startAgent} started. */
  AgentClient agent;

  List<VirtualDisk> startAgent(ControllerFixture controller, int port)
      throws Exception {
    return startAgent(controller, port, config -> config);
  }

  /** As {@link #startAgent(ControllerFixture, int)}, with the config {@code adjusted}. */
  List<VirtualDisk> startAgent(ControllerFixture controller, int port,
      java.util.function.UnaryOperator<AgentConfig> adjusted) throws Exception {
    Path hostDir = seedHost();
    AgentConfig config = adjusted.apply(AgentConfig.withDefaults("localhost:" + port,
        controller.pki.agent("hv-01"), hostDir)
        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200)));
    agent = cleanup.register(AgentClient.start(config, Clock.systemUTC(),
        new ControlSession.SessionListener() {
          @Override
          public void registered(Registered registered) {
            registrations.add(registered);
          }
        }));
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent never registered");
    return new SimulatedHypervisor(hostDir).inventory().getVirtualMachines(0).getDisksList();
  }

  /** Lays out host hv-01: VM app-01 (off) with a 64 MiB raw disk and a 48 MiB VHDX. */
  Path seedHost() throws Exception {
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("app-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 64L * MIB),
            new DiskSpec(DiskFormat.VHDX, 48L * MIB)))));
    return hostDir;
  }

  static SyncParameters parameters(String id, SyncMode mode, long size) {
    return SyncParameters.newBuilder().setSessionId(id).setMode(mode)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(new Random().nextLong())
        .setBlockSize(64 * 1024).setBlocksPerBatch(32).setDiskSize(size).setLaneCount(2)
        .setWindowBatches(4).setCompress(true).build();
  }

  static byte[] randomImage(long size, long seed) {
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

  static byte[] readAll(Path path) throws Exception {
    try (BlockDevice device = BlockDevices.open(path, false)) {
      ByteBuffer buffer = ByteBuffer.allocate((int) device.size());
      device.read(0, buffer);
      return buffer.array();
    }
  }

  static void writeAll(Path path, byte[] data) throws Exception {
    try (BlockDevice device = BlockDevices.open(path, true)) {
      device.write(0, ByteBuffer.wrap(data));
      device.flush();
    }
  }
}
