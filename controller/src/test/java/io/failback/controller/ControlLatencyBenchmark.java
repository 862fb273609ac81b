package io.failback.controller;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.SwitchSpec;
import io.failback.controller.store.TestDatabases;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.GetJobRequest;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.ListJobsRequest;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Control RPC latency on each store (docs/BENCHMARKS.md): one controller with 200 protected
 * items, 1,000 jobs and 50 agents connected (heartbeats every 10 s), GetJob and ListJobs over
 * mutual TLS on loopback, one call at a time; the store is the only difference.
 *
 * <pre>bench/control-latency [WORK_DIR]</pre>
 */
public final class ControlLatencyBenchmark {
  private static final int ITEMS = 200;
  private static final int JOBS = 1000;
  private static final int AGENTS = 50;

  private ControlLatencyBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "bench/data/latency"));
    System.out.println("| store | GetJob p50 | GetJob p99 | ListJobs (1,000 jobs) p50 |"
        + " ListJobs p99 | heartbeats meanwhile |");
    System.out.println("|---|---|---|---|---|---|");
    for (String store : List.of("sqlite", "postgresql")) {
      run(store, Files.createTempDirectory(work, store + "-"));
    }
    System.exit(0);
  }

  private static void run(String store, Path dir) throws Exception {
    ControllerFixture controller = new ControllerFixture(dir);
    controller.heartbeatInterval = Duration.ofSeconds(10);
    controller.heartbeatTimeout = Duration.ofSeconds(35);
    if (store.equals("postgresql")) {
      controller.store = TestDatabases.newPostgresDatabase();
    }
    controller.start();
    List<AutoCloseable> agents = new ArrayList<>();
    try {
      for (int i = 0; i < AGENTS; i++) {
        String host = String.format("hv-%02d", i);
        Path hostDir = dir.resolve(host);
        SimulatedHostSeeder.seed(hostDir, host, List.of(new SwitchSpec("LAN", "External")),
            List.of());
        agents.add(AgentClient.start(AgentConfig.withDefaults(controller.target(),
            controller.pki.agent(host), hostDir), Clock.systemUTC(),
            new ControlSession.SessionListener() {}));
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (controller.server.registry().hosts().stream()
          .filter(h -> h.getStatus() == io.failback.proto.v1.HostStatus.ONLINE).count() < AGENTS) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("not every agent registered");
        }
        Thread.sleep(100);
      }
      List<String> jobIds = new ArrayList<>();
      for (int i = 0; i < ITEMS; i++) {
        controller.server.protectedItems().create("vm-" + i, "app-" + i,
            String.format("hv-%02d", i % AGENTS));
      }
      for (int i = 0; i < JOBS; i++) {
        jobIds.add(controller.server.jobs().create("EnableProtection",
            FailoverDirection.ON_PREM_TO_CLOUD, "", Map.of("vm-" + (i % ITEMS), List.of()))
            .getId());
      }
      ManagedChannel channel = controller.channel(controller.pki.operator("ops"));
      JobServiceGrpc.JobServiceBlockingStub jobs = JobServiceGrpc.newBlockingStub(channel);
      Random random = new Random(7);
      for (int i = 0; i < 300; i++) { // warm-up: JIT, connections, caches
        jobs.getJob(GetJobRequest.newBuilder().setJobId(jobIds.get(random.nextInt(JOBS)))
            .build());
      }
      long[] get = new long[2000];
      for (int i = 0; i < get.length; i++) {
        String id = jobIds.get(random.nextInt(JOBS));
        long start = System.nanoTime();
        jobs.getJob(GetJobRequest.newBuilder().setJobId(id).build());
        get[i] = System.nanoTime() - start;
      }
      long[] list = new long[100];
      for (int i = 0; i < list.length; i++) {
        long start = System.nanoTime();
        jobs.listJobs(ListJobsRequest.getDefaultInstance());
        list[i] = System.nanoTime() - start;
      }
      channel.shutdownNow();
      System.out.printf("| %s | %.2f ms | %.2f ms | %.1f ms | %.1f ms | %d agents every 10 s |%n",
          store, percentile(get, 50), percentile(get, 99), percentile(list, 50),
          percentile(list, 99), AGENTS);
    } finally {
      for (AutoCloseable agent : agents) {
        agent.close();
      }
      controller.close();
    }
  }

  private static double percentile(long[] nanos, int p) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e6;
  }
}
