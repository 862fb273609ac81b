package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualMachine;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A controller and an agent on a simulated host with several VMs (one 4 MiB raw disk each,
 * some data on it), over real TLS: for jobs that act on many VMs and on recovery plans.
 */
final class MultiVmFixture {
  static final int MIB = 1 << 20;
  final ControllerFixture controller;
  final Path hostDir;
  /** VM id by VM name, in the order given. */
  final Map<String, String> ids = new LinkedHashMap<>();

  MultiVmFixture(Path dir, GrpcCleanup cleanup, String... names) throws Exception {
    this(dir, cleanup, 4L * MIB, names);
  }

  /** VMs with one sparse raw disk of {@code diskBytes} each. */
  MultiVmFixture(Path dir, GrpcCleanup cleanup, long diskBytes, String... names)
      throws Exception {
    this(dir, cleanup, port -> "localhost:" + port, diskBytes, names);
  }

  /** {@code agentTarget} maps the controller's port to what the agent dials (a proxy). */
  MultiVmFixture(Path dir, GrpcCleanup cleanup, java.util.function.IntFunction<String>
      agentTarget, long diskBytes, String... names) throws Exception {
    this(dir, cleanup, agentTarget, driver -> driver, diskBytes, names);
  }

  /** With the agent driving {@code wrap} of the simulated host. */
  MultiVmFixture(Path dir, GrpcCleanup cleanup, java.util.function.IntFunction<String>
      agentTarget, java.util.function.UnaryOperator<io.failback.agent.hyperv.HypervisorDriver>
          wrap, long diskBytes, String... names) throws Exception {
    controller = cleanup.register(new ControllerFixture(dir).start());
    hostDir = dir.resolve("hv-01");
    List<VmSpec> specs = new ArrayList<>();
    for (String name : names) {
      specs.add(new VmSpec(name, "Running", List.of("LAN"),
          List.of(new DiskSpec(DiskFormat.RAW, diskBytes))));
    }
    SimulatedHostSeeder.seed(hostDir, "hv-01", specs);
    for (VirtualMachine vm : new SimulatedHypervisor(hostDir).inventory()
        .getVirtualMachinesList()) {
      ids.put(vm.getName(), vm.getId());
    }
    long seed = 1;
    for (String name : names) {
      scribbleOnPrem(name, 8, seed++);
    }
    cleanup.register(AgentClient.start(AgentConfig.withDefaults(
        agentTarget.apply(controller.port()), controller.pki.agent("hv-01"), hostDir)
        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200)),
        wrap.apply(new SimulatedHypervisor(hostDir)), Clock.systemUTC(),
        new ControlSession.SessionListener() {}));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!controller.server.registry().isOnline("hv-01")) {
      assertTrue(System.nanoTime() < deadline, "agent never registered");
      Thread.sleep(20);
    }
  }

  /** Creates recovery plan {@code name} with one group per VM, in the order given. */
  void createPlan(io.grpc.Channel channel, String name, String... vms) {
    io.failback.proto.v1.RecoveryPlan.Builder plan = io.failback.proto.v1.RecoveryPlan
        .newBuilder().setName(name);
    for (String vm : vms) {
      plan.addGroups(io.failback.proto.v1.RecoveryPlanGroup.newBuilder().addVmIds(ids.get(vm)));
    }
    io.failback.proto.v1.RecoveryPlanServiceGrpc.newBlockingStub(channel).createRecoveryPlan(
        io.failback.proto.v1.CreateRecoveryPlanRequest.newBuilder().setPlan(plan).build());
  }

  Lifecycle lifecycle() {
    return controller.server.lifecycle();
  }

  List<String> allIds() {
    return List.copyOf(ids.values());
  }

  ProtectedItem item(String name) throws Exception {
    return lifecycle().item(ids.get(name));
  }

  /** Waits until the job leaves RUNNING/QUEUED and checks the state it settled in. */
  Job awaitState(Job job, JobState state) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Job now = controller.server.jobs().get(job.getId());
    while (now.getState() == JobState.JOB_RUNNING || now.getState() == JobState.JOB_QUEUED) {
      assertTrue(System.nanoTime() < deadline, "job did not settle: " + now);
      Thread.sleep(20);
      now = controller.server.jobs().get(job.getId());
    }
    if (now.getState() != state) {
      throw new AssertionError("job ended " + now.getState() + ", expected " + state + ": "
          + now);
    }
    return now;
  }

  /** Protects every VM, fails them over to the cloud and commits, one job per step. */
  void failedOver() throws Exception {
    awaitState(lifecycle().enableProtection(allIds()), JobState.JOB_SUCCEEDED);
    awaitState(lifecycle().plannedFailover(io.failback.controller.lifecycle.Targets.of(
        allIds()), io.failback.proto.v1.DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    awaitState(lifecycle().commit(io.failback.controller.lifecycle.Targets.of(allIds())),
        JobState.JOB_SUCCEEDED);
  }

  Path onPremDisk(String name) throws Exception {
    return Path.of(new SimulatedHypervisor(hostDir).inventory().getVirtualMachinesList()
        .stream().filter(vm -> vm.getName().equals(name)).findFirst().orElseThrow()
        .getDisks(0).getPath());
  }

  void scribbleOnPrem(String name, int blocks, long seed) throws Exception {
    try (BlockDevice device = BlockDevices.open(onPremDisk(name), true)) {
      Random random = new Random(seed);
      byte[] data = new byte[64 * 1024];
      for (int i = 0; i < blocks; i++) {
        random.nextBytes(data);
        int block = random.nextInt((int) (device.size() / data.length));
        device.write((long) block * data.length, ByteBuffer.wrap(data));
      }
      device.flush();
    }
  }

  byte[] onPremBytes(String name) throws Exception {
    try (BlockDevice device = BlockDevices.open(onPremDisk(name), false)) {
      return LifecycleFixture.contents(device);
    }
  }

  byte[] cloudBytes(String name) throws Exception {
    try (BlockDevice device = controller.server.cloud().openDisk(item(name).getCloudVmId(), 0,
        false)) {
      return LifecycleFixture.contents(device);
    }
  }

  void assertOnPremEqualsCloud(String name) throws Exception {
    assertArrayEquals(cloudBytes(name), onPremBytes(name), name + ": on-prem differs from cloud");
  }
}
