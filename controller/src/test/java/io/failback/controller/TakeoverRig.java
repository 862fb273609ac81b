package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.grpc.ControllerTargets;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.testing.TestPki;
import io.failback.controller.store.StoreLocation;
import io.failback.controller.store.TestDatabases;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.CommitRequest;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.GetJobRequest;
import io.failback.proto.v1.GetProtectedItemRequest;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ListHostsRequest;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.UnplannedFailoverRequest;
import io.failback.proto.v1.VirtualMachine;
import io.failback.proto.v1.WriteToCloudVmRequest;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.StatusRuntimeException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * From the outside, as an operator runs it: two {@code failback-controller} processes on one
 * PostgreSQL database, an agent process given both addresses, and the operator API over mutual
 * TLS through both addresses. For the takeover test and benchmark.
 */
final class TakeoverRig implements AutoCloseable {
  static final long MIB = 1024 * 1024;
  /** A takeover is seen within half a second rather than after a back-off of up to 4 s. */
  static final List<String> AGENT_OPTIONS = List.of("--reconnect-max-delay", "PT0.5S");

  final Path dir;
  final Path stateDir;
  final int portA;
  final int portB;
  /** The first active controller; {@link #restartA} replaces it. */
  ControllerProcess a;
  final ControllerProcess b;
  final NotifySocket systemdB;
  final String vmId;
  final StoreLocation.Postgres store;
  final VirtualMachine vm;
  final FailoverServiceGrpc.FailoverServiceBlockingStub failover;
  final JobServiceGrpc.JobServiceBlockingStub jobs;
  private final ManagedChannel channel;
  /** The simulated cloud guests' own role drives them. */
  private final ManagedChannel simulation;
  private final TlsMaterial operatorTls;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final TestPki pki;
  private final List<String> options;
  private final String controllers;
  private final Path hostDir;
  /** The host's agent; {@link #killAgentAndStartAgain} replaces it. */
  private AgentProcess agent;

  /** @param diskMib the sizes of the VM's two disks (a VHDX and a raw one) */
  TakeoverRig(Path dir, long diskMib) throws Exception {
    this.dir = dir;
    pki = TestPki.create(dir.resolve("pki"));
    stateDir = dir.resolve("state");
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("app-01", "Running",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.VHDX, 2 * diskMib * MIB),
            new DiskSpec(DiskFormat.RAW, diskMib * MIB)))));
    store = TestDatabases.newPostgresDatabase();
    portA = freePort();
    portB = freePort();
    options = List.of("--store", store.describe(), "--lease-ttl", "PT3S",
        "--simulation", "--heartbeat-interval", "PT1S", "--heartbeat-timeout", "PT5S",
        "--agent-return-timeout", "PT2M");
    a = keep(ControllerProcess.start(portA, stateDir, pki.controller(),
        dir.resolve("controller-a.log"), options));
    awaitListening(portA, a);
    // B as systemd runs it (Type=notify): what it tells systemd goes to this socket.
    systemdB = keep(new NotifySocket(dir.resolve("notify-b.sock")));
    b = keep(ControllerProcess.start(portB, stateDir, pki.controller(),
        dir.resolve("controller-b.log"), options,
        java.util.Map.of("NOTIFY_SOCKET", systemdB.path.toString())));
    // The standby first: clients reach the active controller through the standby's pointer.
    String both = "localhost:" + portB + ",localhost:" + portA;
    controllers = both;
    this.hostDir = hostDir;
    agent = keep(AgentProcess.start(both, pki.agent("hv-01"), hostDir, AGENT_OPTIONS));
    operatorTls = TlsMaterial.load(pki.operator("ops"), true);
    // A call that reaches the standby is retried on the active one, a few times: the tests
    // wait through takeovers themselves (the CLI's channel waits, see cli()).
    channel = ControllerTargets.retryingUnavailable(ControllerTargets.channelBuilder(both,
        operatorTls.channelCredentials())).build();
    simulation = ControllerTargets.retryingUnavailable(ControllerTargets.channelBuilder(both,
        TlsMaterial.load(pki.simulator("guests"), true).channelCredentials())).build();
    failover = FailoverServiceGrpc.newBlockingStub(channel);
    jobs = JobServiceGrpc.newBlockingStub(channel);
    vm = awaitVm();
    for (int disk = 0; disk < 2; disk++) {
      scribble(Path.of(vm.getDisks(disk).getPath()), 40, 100 + disk);
    }
    vmId = vm.getId();
  }

  /** Runs the operator's CLI with both controllers' addresses, printing to {@code out}. */
  OperatorCli.Run cli(java.io.StringWriter out, String... command) throws Exception {
    return OperatorCli.run(controllers, pki.operator("ops"), out, command);
  }

  /** Sets the global bandwidth limit, e.g. "100Mbit/s" (kept in the store: both obey it). */
  void limitBandwidth(String schedule) {
    io.failback.proto.v1.BandwidthServiceGrpc.newBlockingStub(channel).setBandwidthLimit(
        io.failback.proto.v1.SetBandwidthLimitRequest.newBuilder()
            .setScope(io.failback.proto.v1.BandwidthScope.BANDWIDTH_GLOBAL)
            .setSchedule(schedule).build());
  }

  /** Waits until the host's agent logged a line containing {@code text}. */
  void awaitAgentLog(String text) throws Exception {
    Path log = hostDir.resolveSibling(hostDir.getFileName() + "-agent.log");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.readString(log).contains(text)) {
      assertTrue(System.nanoTime() < deadline, "the agent never logged: " + text);
      Thread.sleep(100);
    }
  }

  /** kill -9 of the host's agent (a host crash), then its start again on the same host. */
  void killAgentAndStartAgain() throws Exception {
    agent.kill();
    agent = keep(AgentProcess.start(controllers, pki.agent("hv-01"), hostDir, AGENT_OPTIONS));
  }

  private <T extends AutoCloseable> T keep(T resource) {
    resources.add(resource);
    return resource;
  }

  /** Protects the VM, fails it over (unplanned too: the cloud VM's writes tracked), commits. */
  void failedOver(boolean planned) throws Exception {
    awaitJob(failover.enableProtection(EnableProtectionRequest.newBuilder().addVmIds(vmId)
        .build()).getJob(), JobState.JOB_SUCCEEDED);
    awaitJob(planned ? failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(vmId).setDataSync(DataSync.SYNC_BEFORE_FAILOVER).build()).getJob()
        : failover.unplannedFailover(UnplannedFailoverRequest.newBuilder().addVmIds(vmId)
            .build()).getJob(), JobState.JOB_SUCCEEDED);
    awaitJob(failover.commit(CommitRequest.newBuilder().addVmIds(vmId).build()).getJob(),
        JobState.JOB_SUCCEEDED);
  }

  /**
   * The cloud VM's guest overwrites {@code blocks} 64 KiB blocks of a disk. Right after a
   * takeover the call is tried again for a while, as an operator would: UNAVAILABLE means
   * nothing was written.
   */
  void cloudWrites(int disk, int blocks, long seed) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        CloudSimulationServiceGrpc.newBlockingStub(simulation)
            .withDeadlineAfter(2, TimeUnit.MINUTES)
            .writeToCloudVm(WriteToCloudVmRequest.newBuilder().setVmId(vmId)
                .setDiskIndex(disk).setBlocks(blocks).setSeed(seed).build());
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE
            || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /** Starts a sync-before failback and waits until it waits for CompleteFailover. */
  Job failbackWaiting() throws Exception {
    return awaitJob(failover.plannedFailover(PlannedFailoverRequest.newBuilder().addVmIds(vmId)
        .setDataSync(DataSync.SYNC_BEFORE_FAILOVER).build()).getJob(), JobState.JOB_WAITING);
  }

  void completeFailover(Job job) {
    failover.completeFailover(CompleteFailoverRequest.newBuilder().setJobId(job.getId())
        .build());
  }

  ProtectedItem item() {
    return failover.getProtectedItem(GetProtectedItemRequest.newBuilder().setVmId(vmId)
        .build());
  }

  /** Whether {@code qemu-img compare} finds the on-prem disk equal to its cloud disk. */
  String compareWithCloud(int disk) throws Exception {
    Path onPrem = Path.of(vm.getDisks(disk).getPath());
    Path cloud;
    try (Stream<Path> files = Files.walk(stateDir.resolve("cloud").resolve("vms"))) {
      // The only cloud VM is the one failed over to: its disks are disk-N.raw or .vhdx.
      List<Path> found = files.filter(p -> p.getFileName().toString().matches(
          "disk-" + disk + "\\.(raw|vhdx)")).toList();
      assertEquals(1, found.size(), "cloud disks: " + found);
      cloud = found.get(0);
    }
    Process compare = new ProcessBuilder("qemu-img", "compare", "-q", onPrem.toString(),
        cloud.toString()).redirectErrorStream(true).start();
    String output = new String(compare.getInputStream().readAllBytes());
    return compare.waitFor() == 0 ? "" : "disk " + disk + " differs: " + output;
  }

  VirtualMachine awaitVm() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        var hosts = InventoryServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .listHosts(ListHostsRequest.getDefaultInstance()).getHostsList();
        if (!hosts.isEmpty() && hosts.get(0).getInventory().getVirtualMachinesCount() > 0) {
          return hosts.get(0).getInventory().getVirtualMachines(0);
        }
      } catch (StatusRuntimeException e) {
        // Not up yet.
      }
      assertTrue(System.nanoTime() < deadline, "the agent never registered");
      Thread.sleep(200);
    }
  }

  Job awaitJob(Job job, JobState state) throws Exception {
    Job reached = awaitJob(job, j -> j.getState() == state
        || j.getState() == JobState.JOB_FAILED || j.getState() == JobState.JOB_CANCELLED);
    assertEquals(state, reached.getState(), reached.toString());
    return reached;
  }

  /**
   * How many disks of job {@code jobId} have a durable lane checkpoint in the shared store
   * (keys end in {@code /d<disk>/l<lanes>}); -1 while the store does not answer.
   */
  int disksWithCheckpoints(String jobId) {
    try {
      return Integer.parseInt(TestDatabases.queryString(store, "SELECT count(DISTINCT"
          + " substring(session_id from '/d([0-9]+)/l[0-9]+(/b[0-9]+)?$')) FROM"
          + " sync_checkpoints WHERE session_id LIKE 'job-" + jobId + "/%'"));
    } catch (java.sql.SQLException e) {
      return -1;
    }
  }

  /** Polls the job through whichever controller is active, riding out a takeover. */
  Job awaitJob(Job job, Predicate<Job> until) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    Job last = job;
    while (true) {
      try {
        last = jobs.withDeadlineAfter(10, TimeUnit.SECONDS)
            .getJob(GetJobRequest.newBuilder().setJobId(job.getId()).build());
        if (until.test(last)) {
          return last;
        }
      } catch (StatusRuntimeException e) {
        // The active controller is gone; the standby is not listening yet.
      }
      assertTrue(System.nanoTime() < deadline, "job never got there: " + last);
      Thread.sleep(100);
    }
  }

  /**
   * Starts controller A again after it was killed, as its service manager would: it finds the
   * lease held and waits as a standby.
   */
  void restartA() throws Exception {
    a = keep(ControllerProcess.start(portA, stateDir, pki.controller(),
        dir.resolve("controller-a-again.log"), options));
  }

  /** A channel to the controller on {@code port} alone, as an operator. */
  ManagedChannel only(int port) {
    return ControllerTargets.channelBuilder("localhost:" + port,
        operatorTls.channelCredentials()).build();
  }

  /** The health check of the controller on {@code port}, by gRPC's health service. */
  HealthCheckResponse.ServingStatus health(int port) {
    ManagedChannel one = only(port);
    try {
      return HealthGrpc.newBlockingStub(one).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    } finally {
      one.shutdownNow();
    }
  }

  /** Waits until the controller on {@code port} answers as a standby. */
  void awaitStandby(int port, ControllerProcess controller) throws Exception {
    awaitHealth(port, controller, HealthCheckResponse.ServingStatus.NOT_SERVING);
  }

  /** Waits until the controller on {@code port} serves as the active one. */
  void awaitActive(int port, ControllerProcess controller) throws Exception {
    awaitHealth(port, controller, HealthCheckResponse.ServingStatus.SERVING);
  }

  private void awaitHealth(int port, ControllerProcess controller,
      HealthCheckResponse.ServingStatus wanted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      try {
        if (health(port) == wanted) {
          return;
        }
      } catch (StatusRuntimeException notYet) {
        // Starting, or closed between the standby's answers and the active one's.
      }
      assertTrue(controller.isAlive(), "the controller on port " + port + " exited");
      assertTrue(System.nanoTime() < deadline, "the controller on " + port + " never says "
          + wanted);
      Thread.sleep(50);
    }
  }

  static void awaitListening(int port, ControllerProcess controller) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        return;
      } catch (java.io.IOException notYet) {
        assertTrue(controller.isAlive(), "the controller on port " + port + " exited");
        assertTrue(System.nanoTime() < deadline, "nothing listens on " + port);
        Thread.sleep(50);
      }
    }
  }

  /** The sum of {@code what} (e.g. "sent") over the steps of the job that start with a phase. */
  static long count(Job job, String phasePrefix, String what) {
    long total = 0;
    for (var step : job.getTimelineList()) {
      String text = step.getDescription();
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) " + what)
          .matcher(text);
      if (text.startsWith(phasePrefix) && m.find()) {
        total += Long.parseLong(m.group(1));
      }
    }
    return total;
  }

  static void scribble(Path disk, int blocks, long seed) throws Exception {
    try (BlockDevice device = BlockDevices.open(disk, true)) {
      Random random = new Random(seed);
      byte[] data = new byte[64 * 1024];
      for (int i = 0; i < blocks; i++) {
        random.nextBytes(data);
        long block = random.nextInt((int) (device.size() / data.length));
        device.write(block * data.length, ByteBuffer.wrap(data));
      }
      device.flush();
    }
  }

  static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow();
    simulation.shutdownNow();
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }
}
