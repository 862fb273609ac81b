package io.failback.controller;

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
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.VirtualMachine;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** A controller, an agent on a simulated host with one VM (VHDX + raw disk), over real TLS. */
final class LifecycleFixture {
  static final int MIB = 1 << 20;
  final ControllerFixture controller;
  final Path hostDir;
  final String vmId;

  LifecycleFixture(Path dir, GrpcCleanup cleanup) throws Exception {
    controller = cleanup.register(new ControllerFixture(dir).start());
    hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("app-01", "Running",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.VHDX, 32L * MIB),
            new DiskSpec(DiskFormat.RAW, 16L * MIB)))));
    vmId = onPremVm().getId();
    for (int i = 0; i < 2; i++) {
      scribbleOnPrem(i, 40, 100 + i);
    }
    cleanup.register(AgentClient.start(AgentConfig.withDefaults(controller.target(),
        controller.pki.agent("hv-01"), hostDir)
        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200)), Clock.systemUTC(),
        new ControlSession.SessionListener() {}));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!controller.server.registry().isOnline("hv-01")) {
      assertTrue(System.nanoTime() < deadline, "agent never registered");
      Thread.sleep(20);
    }
  }

  VirtualMachine onPremVm() throws Exception {
    return new SimulatedHypervisor(hostDir).inventory().getVirtualMachines(0);
  }

  Path onPremDisk(int index) throws Exception {
    return Path.of(onPremVm().getDisks(index).getPath());
  }

  /** Random 64 KiB-aligned writes into an on-prem disk (the VM's guest, on-prem side). */
  java.util.BitSet scribbleOnPrem(int disk, int blocks, long seed) throws Exception {
    java.util.BitSet changed = new java.util.BitSet();
    try (BlockDevice device = BlockDevices.open(onPremDisk(disk), true)) {
      Random random = new Random(seed);
      byte[] data = new byte[64 * 1024];
      while (changed.cardinality() < blocks) {
        int block = random.nextInt((int) (device.size() / data.length));
        random.nextBytes(data);
        device.write((long) block * data.length, ByteBuffer.wrap(data));
        changed.set(block);
      }
      device.flush();
    }
    return changed;
  }

  static byte[] contents(BlockDevice device) throws Exception {
    ByteBuffer buffer = ByteBuffer.allocate((int) device.size());
    device.read(0, buffer);
    return buffer.array();
  }

  byte[] onPremBytes(int disk) throws Exception {
    try (BlockDevice device = BlockDevices.open(onPremDisk(disk), false)) {
      return contents(device);
    }
  }

  byte[] cloudBytes(String cloudVmId, int disk) throws Exception {
    try (BlockDevice device = controller.server.cloud().openDisk(cloudVmId, disk, false)) {
      return contents(device);
    }
  }

  ProtectedItem item() throws Exception {
    return controller.server.lifecycle().item(vmId);
  }

  /** Waits until the job leaves RUNNING/QUEUED; returns it. */
  Job await(Job job) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Job now = controller.server.jobs().get(job.getId());
      if (now.getState() != JobState.JOB_RUNNING && now.getState() != JobState.JOB_QUEUED) {
        return now;
      }
      assertTrue(System.nanoTime() < deadline, "job did not settle: " + now);
      Thread.sleep(20);
    }
  }

  Job awaitState(Job job, JobState state) throws Exception {
    Job settled = await(job);
    if (settled.getState() != state) {
      throw new AssertionError("job ended " + settled.getState() + ", expected " + state + ": "
          + settled);
    }
    return settled;
  }

  void awaitItem(ProtectionState state) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (item().getState() != state) {
      assertTrue(System.nanoTime() < deadline, "item never reached " + state + ": " + item());
      Thread.sleep(20);
    }
  }
}
