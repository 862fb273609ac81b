package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.hyperv.simulated.SimulatedBoot;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.SwitchSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.JobWatch;
import io.failback.controller.lifecycle.Jobs;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RefreshInventory;
import io.failback.proto.v1.StartVm;
import io.failback.proto.v1.VirtualMachine;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/** A controller, an agent on a simulated host with one VM (VHDX + raw disk), over real TLS. */
final class LifecycleFixture {
  static final int MIB = 1 << 20;
  final ControllerFixture controller;
  final Path hostDir;
  final String vmId;
  final AutoCloseable agent;
  /** The agent with its data streams recorded, when the fixture was made with one. */
  final TappedAgent tap;
  private final GrpcCleanup cleanup;

  /** What the host directory needs before the agent starts (an encryption certificate). */
  @FunctionalInterface
  interface HostPreparation {
    void prepare(Path hostDir) throws Exception;
  }

  LifecycleFixture(Path dir, GrpcCleanup cleanup) throws Exception {
    this(dir, cleanup, port -> "localhost:" + port);
  }

  /** {@code agentTarget} maps the controller's port to what the agent dials (a proxy). */
  LifecycleFixture(Path dir, GrpcCleanup cleanup, IntFunction<String> agentTarget)
      throws Exception {
    this(dir, cleanup, agentTarget, host -> { }, false);
  }

  /**
   * @param prepare runs on the host directory before the agent starts
   * @param tapped whether the agent records its data streams ({@link #tap})
   */
  LifecycleFixture(Path dir, GrpcCleanup cleanup, IntFunction<String> agentTarget,
      HostPreparation prepare, boolean tapped) throws Exception {
    this(dir, cleanup, agentTarget, prepare, tapped, driver -> driver);
  }

  /** With the agent driving {@code wrap} of the simulated host. */
  static LifecycleFixture withDriver(Path dir, GrpcCleanup cleanup,
      UnaryOperator<HypervisorDriver> wrap) throws Exception {
    return new LifecycleFixture(dir, cleanup, port -> "localhost:" + port, host -> { }, false,
        wrap, CloudChoice.localDirectory(), null);
  }

  /** With the controller failing over to {@code cloud}. */
  static LifecycleFixture withCloud(Path dir, GrpcCleanup cleanup, CloudChoice cloud,
      HostPreparation prepare) throws Exception {
    return withCloud(dir, cleanup, cloud, prepare, (SimulatedBoot) null);
  }

  /** With the controller failing over to {@code cloud} and the on-prem VM booting as said. */
  static LifecycleFixture withCloud(Path dir, GrpcCleanup cleanup, CloudChoice cloud,
      HostPreparation prepare, SimulatedBoot onPremBoot) throws Exception {
    return new LifecycleFixture(dir, cleanup, port -> "localhost:" + port, prepare, false,
        driver -> driver, cloud, onPremBoot);
  }

  /**
   * With {@code cloud}, the on-prem VM booting as said, and the agent dialling {@code
   * agentTarget} of the controller's port.
   */
  static LifecycleFixture withCloud(Path dir, GrpcCleanup cleanup, CloudChoice cloud,
      HostPreparation prepare, SimulatedBoot onPremBoot, IntFunction<String> agentTarget)
      throws Exception {
    return new LifecycleFixture(dir, cleanup, agentTarget, prepare, false, driver -> driver,
        cloud, onPremBoot);
  }

  LifecycleFixture(Path dir, GrpcCleanup cleanup, IntFunction<String> agentTarget,
      HostPreparation prepare, boolean tapped, UnaryOperator<HypervisorDriver> wrap)
      throws Exception {
    this(dir, cleanup, agentTarget, prepare, tapped, wrap, CloudChoice.localDirectory(), null);
  }

  /** With the agent in its own process ({@link #agentProcess}), which a test may kill. */
  static LifecycleFixture withAgentProcess(Path dir, GrpcCleanup cleanup) throws Exception {
    return withAgentProcess(dir, cleanup, settings -> { });
  }

  /** With the agent in its own process dialling {@code agentTarget}, settings adjusted first. */
  static LifecycleFixture withAgentProcess(Path dir, GrpcCleanup cleanup,
      IntFunction<String> agentTarget, java.util.function.Consumer<ControllerFixture> settings)
      throws Exception {
    return new LifecycleFixture(dir, cleanup, agentTarget, host -> { }, false, null,
        CloudChoice.localDirectory(), null, settings);
  }

  /** With the agent in its own process and the controller's settings adjusted first. */
  static LifecycleFixture withAgentProcess(Path dir, GrpcCleanup cleanup,
      java.util.function.Consumer<ControllerFixture> settings) throws Exception {
    return withAgentProcess(dir, cleanup, port -> "localhost:" + port, settings);
  }

  /** The agent's process, for a fixture made {@link #withAgentProcess}. */
  AgentProcess agentProcess() {
    return (AgentProcess) agent;
  }

  /**
   * @param wrap the in-process agent's driver; null runs the agent in its own process
   * @param onPremBoot how the simulated host boots its VMs; null: they run as a state word
   */
  private LifecycleFixture(Path dir, GrpcCleanup cleanup, IntFunction<String> agentTarget,
      HostPreparation prepare, boolean tapped, UnaryOperator<HypervisorDriver> wrap,
      CloudChoice cloud, SimulatedBoot onPremBoot) throws Exception {
    this(dir, cleanup, agentTarget, prepare, tapped, wrap, cloud, onPremBoot, f -> { });
  }

  /** With the controller's settings adjusted by {@code settings} before it starts. */
  static LifecycleFixture withControllerSettings(Path dir, GrpcCleanup cleanup,
      IntFunction<String> agentTarget, java.util.function.Consumer<ControllerFixture> settings)
      throws Exception {
    return new LifecycleFixture(dir, cleanup, agentTarget, host -> { }, false, d -> d,
        CloudChoice.localDirectory(), null, settings);
  }

  private LifecycleFixture(Path dir, GrpcCleanup cleanup, IntFunction<String> agentTarget,
      HostPreparation prepare, boolean tapped, UnaryOperator<HypervisorDriver> wrap,
      CloudChoice cloud, SimulatedBoot onPremBoot,
      java.util.function.Consumer<ControllerFixture> settings) throws Exception {
    this.cleanup = cleanup;
    ControllerFixture fixture = new ControllerFixture(dir);
    fixture.cloud = cloud;
    settings.accept(fixture);
    controller = cleanup.register(fixture.start());
    hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("app-01", "Running",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.VHDX, 32L * MIB),
            new DiskSpec(DiskFormat.RAW, 16L * MIB)))));
    vmId = new SimulatedHypervisor(hostDir).inventory().getVirtualMachines(0).getId();
    for (int i = 0; i < 2; i++) {
      scribbleOnPrem(i, 40, 100 + i);
    }
    prepare.prepare(hostDir);
    if (wrap == null) {
      tap = null;
      agent = cleanup.register(AgentProcess.start(agentTarget.apply(controller.port()),
          controller.pki.agent("hv-01"), hostDir, controller.agentProcessArgs));
    } else if (tapped) {
      tap = cleanup.register(new TappedAgent(agentTarget.apply(controller.port()),
          controller.pki.agent("hv-01"), hostDir));
      agent = tap;
    } else {
      tap = null;
      agent = cleanup.register(AgentClient.start(AgentConfig.withDefaults(
          agentTarget.apply(controller.port()), controller.pki.agent("hv-01"), hostDir)
          .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200)),
          wrap.apply(onPremBoot == null ? new SimulatedHypervisor(hostDir)
              : new SimulatedHypervisor(hostDir, onPremBoot)), Clock.systemUTC(),
          new ControlSession.SessionListener() {}));
    }
    awaitAgentOnline();
  }

  /** Waits until the agent holds a control stream with the controller (after any restart). */
  void awaitAgentOnline() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!controller.server.registry().isOnline("hv-01")) {
      assertTrue(System.nanoTime() < deadline, "agent never registered");
      Thread.sleep(20);
    }
  }

  /** Starts an agent on a new simulated host {@code name} with no VMs and one switch. */
  void startEmptyHost(String name, String switchName) throws Exception {
    Path otherDir = hostDir.resolveSibling(name);
    SimulatedHostSeeder.seed(otherDir, name, List.of(new SwitchSpec(switchName, "External")),
        List.of());
    cleanup.register(AgentClient.start(AgentConfig.withDefaults(
        "localhost:" + controller.port(), controller.pki.agent(name), otherDir)
        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200)), Clock.systemUTC(),
        new ControlSession.SessionListener() {}));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!controller.server.registry().isOnline(name)) {
      assertTrue(System.nanoTime() < deadline, name + " never registered");
      Thread.sleep(20);
    }
  }

  /** Protects the VM, fails it over to the cloud and commits; returns the cloud VM's id. */
  String failedOver() throws Exception {
    Lifecycle lifecycle = controller.server.lifecycle();
    awaitState(lifecycle.enableProtection(vmId), JobState.JOB_SUCCEEDED);
    awaitState(lifecycle.plannedFailover(vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    awaitState(lifecycle.commit(vmId), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_OVER, item().getState());
    return item().getCloudVmId();
  }

  /** Runs a command on the agent as the lifecycle would; returns the agent's answer. */
  CommandResult command(Command.Builder command) throws Exception {
    return controller.server.registry().send("hv-01",
        command.setCommandId(UUID.randomUUID().toString()).build()).get(20, TimeUnit.SECONDS);
  }

  /** The VM as the agent reports it now, with the agent's own inconsistent mark. */
  VirtualMachine agentVm() throws Exception {
    CommandResult result = command(Command.newBuilder()
        .setRefreshInventory(RefreshInventory.getDefaultInstance()));
    assertEquals("", result.getError());
    return result.getInventory().getVirtualMachinesList().stream()
        .filter(vm -> vm.getId().equals(vmId)).findFirst().orElseThrow();
  }

  /** Asks the agent to start the VM directly; returns its error, empty if it started. */
  String startOnPremDirectly() throws Exception {
    return command(Command.newBuilder().setStartVm(StartVm.newBuilder().setVmId(vmId)
        .setGeneration(item().getGeneration()))).getError();
  }

  /** The per-disk tasks of a job, in disk order. */
  static List<JobTask> diskTasks(Job job) {
    return job.getTasksList().stream().filter(t -> !t.getDiskPath().isEmpty()).toList();
  }

  /** The task of the VM itself. */
  static JobTask vmTask(Job job) {
    return job.getTasksList().stream().filter(t -> t.getDiskPath().isEmpty()).findFirst()
        .orElseThrow();
  }

  /** Asserts that every disk of the cloud VM holds the same bytes as its on-prem twin. */
  void assertOnPremEqualsCloud(String cloudVmId) throws Exception {
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(cloudBytes(cloudVmId, i), onPremBytes(i),
          "on-prem disk " + i + " differs from cloud disk " + i);
    }
  }

  VirtualMachine onPremVm() throws Exception {
    // By id: the host may hold other VMs too (a failback drill's).
    return new SimulatedHypervisor(hostDir).inventory().getVirtualMachinesList().stream()
        .filter(v -> v.getId().equalsIgnoreCase(vmId)).findFirst().orElseThrow();
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
    return await(job, Duration.ofSeconds(60));
  }

  /** Waits up to {@code limit} until the job leaves RUNNING/QUEUED; returns it. */
  Job await(Job job, Duration limit) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
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
    return awaitState(job, state, Duration.ofSeconds(60));
  }

  Job awaitState(Job job, JobState state, Duration limit) throws Exception {
    Job settled = await(job, limit);
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

  /**
   * Cancels the job, from a watcher thread, at the first version whose disk tasks show settled
   * blocks (durable on the target): the sessions have run, and may have ended meanwhile.
   */
  CompletableFuture<Job> cancelOnceBlocksSettle(String jobId) throws Exception {
    Jobs jobs = controller.server.jobs();
    CompletableFuture<Job> request = new CompletableFuture<>();
    ExecutorService watcher = Executors.newSingleThreadExecutor();
    cleanup.register(watcher::shutdownNow);
    AtomicReference<JobWatch> watch = new AtomicReference<>();
    Runnable drain = () -> {
      JobWatch current = watch.get();
      Job job;
      while (current != null && !request.isDone() && (job = current.poll()) != null) {
        if (diskTasks(job).stream().anyMatch(t -> t.getProgress().getBytesScanned() > 0)) {
          try {
            request.complete(jobs.cancel(jobId));
          } catch (Exception e) {
            request.completeExceptionally(e);
          }
        } else if (job.getState() != JobState.JOB_RUNNING) {
          request.completeExceptionally(new AssertionError("left RUNNING before any block"
              + " settled: " + job));
        }
      }
    };
    // The listener runs under the job lock: it only hands over to the watcher thread.
    watch.set(cleanup.register(jobs.watch(jobId, () -> watcher.execute(drain))));
    watcher.execute(drain);
    return request;
  }
}
