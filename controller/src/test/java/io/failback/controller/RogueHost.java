package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * A compromised host beside a {@link LifecycleFixture}'s own: one Off VM whose raw disk holds
 * 1 MiB of data (so that blocks travel, not only zero ranges), served by a {@link RogueAgent}
 * whose frames a test rewrites, and the protection of that VM the test then watches.
 */
final class RogueHost {
  private RogueHost() {}

  /**
   * Seeds host {@code host} (VM {@code vm}) below {@code dir} and connects its rogue agent to
   * {@code port} (the controller's, or a proxy's in front of it).
   */
  static RogueAgent start(LifecycleFixture fixture, GrpcCleanup cleanup, Path dir, String host,
      String vm, int port) throws Exception {
    Path hostDir = dir.resolve(host);
    SimulatedHostSeeder.seed(hostDir, host, List.of(new VmSpec(vm, "Off", List.of("LAN"),
        List.of(new DiskSpec(DiskFormat.RAW, 4L * LifecycleFixture.MIB)))));
    byte[] data = new byte[1 << 20];
    new Random(host.hashCode()).nextBytes(data);
    try (RandomAccessFile disk = new RandomAccessFile(hostDir.resolve(
        "vms/" + vm + "/" + vm + "-disk0.raw").toFile(), "rw")) {
      disk.write(data);
    }
    return cleanup.register(new RogueAgent("localhost:" + port,
        fixture.controller.pki.agent(host), hostDir, inventory -> inventory, null));
  }

  /** Once {@code host} is online, protects its VM and waits for the job to end {@code as}. */
  static Job protect(LifecycleFixture fixture, String host, JobState as) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!fixture.controller.server.registry().isOnline(host)) {
      assertTrue(System.nanoTime() < deadline, "the rogue host never came online");
      Thread.sleep(50);
    }
    String vm = fixture.controller.server.registry().host(host).orElseThrow()
        .getInventory().getVirtualMachines(0).getId();
    return fixture.awaitState(fixture.controller.server.lifecycle().enableProtection(vm), as);
  }
}
