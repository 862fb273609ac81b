package io.failback.controller.bench;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.grpc.LeakDetection;
import io.failback.common.sync.SyncProgress;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.ControllerConfig;
import io.failback.controller.ControllerServer;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * What reading the on-prem bytes back costs a failback (docs/BENCHMARKS.md): the verify pass
 * before the cloud VM stops (the whole on-prem disk re-read against the recorded digests), and
 * in the downtime, phase 2 of a 64 MiB last delta with and without reading back what it wrote.
 * Controller here, agent in its own JVM, mutual TLS on loopback, raw disks.
 *
 * <p>{@code bench/read-back [DATA_DIR] [SIZE_GIB]} (default bench/data-read-back 8).
 */
public final class ReadBackBenchmark {
  private static final int BLOCK = BenchImages.BLOCK;
  private static final int DELTA_BLOCKS = 1024; // 64 MiB
  private static final int ROUNDS = 6;
  private final Path data;
  private final long size;
  private final List<String> rows = new ArrayList<>();
  private ControllerServer controller;
  private final long seed = 20261203;

  private ReadBackBenchmark(Path data, long size) {
    this.data = data;
    this.size = size;
  }

  public static void main(String[] args) throws Exception {
    // As the controller's own main: Netty's sampled leak tracking costs CPU per block.
    LeakDetection.offUnlessSet();
    new ReadBackBenchmark(Path.of(args.length > 0 ? args[0] : "bench/data-read-back"),
        (args.length > 1 ? Long.parseLong(args[1]) : 8) << 30).run();
  }

  private void run() throws Exception {
    BenchSetup.Identities identities = BenchSetup.freshData(data);
    TlsFiles controllerTls = identities.controller();
    TlsFiles agentTls = identities.agent();
    Path host = data.resolve("host");
    SimulatedHostSeeder.seed(host, "bench-host", List.of(new VmSpec("bench-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, size)))));
    Path onPrem = Path.of(new SimulatedHypervisor(host).inventory().getVirtualMachines(0)
        .getDisks(0).getPath());
    BenchSetup.log("writing images (" + (size >> 30) + " GiB, half the blocks data)");
    Path cloud = data.resolve("cloud.raw");
    BenchImages.random(cloud, size, 0.5, 1);
    BenchSetup.copy(cloud, onPrem);
    BenchSetup.run("sync");

    try (ControllerServer server = ControllerServer.start(ControllerConfig.withDefaults(
        "127.0.0.1", 0, data.resolve("state"), controllerTls), Clock.systemUTC())) {
      controller = server;
      Process agent = BenchSetup.startAgent(data, server.port(), agentTls, host);
      try {
        BenchSetup.awaitOnline(server, agent);
        timed("phase 1 (DELTA, both sides hash, digest sets recorded)",
            () -> sync(cloud, onPrem, SyncMode.DELTA, "p1", null, p -> p));
        timed("verify pass (on-prem re-read in full against the recorded digests)",
            () -> sync(cloud, onPrem, SyncMode.DELTA, "p1v", null,
                p -> p.setSourceDigestsRecorded(true).setRereadWritten(true)));
        timed("peer: dd of the on-prem disk to /dev/null (one side read)", () -> {
          BenchSetup.run("dd", "if=" + onPrem, "of=/dev/null", "bs=1M", "status=none");
          return null;
        });
        timed("peer: qemu-img compare (reads both sides)", () -> {
          BenchSetup.run("qemu-img", "compare", "-q", "-f", "raw", "-F", "raw",
              cloud.toString(), onPrem.toString());
          return null;
        });
        List<Double> plain = new ArrayList<>();
        List<Double> readBack = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
          BitSet changed = BenchImages.changedBlocks(cloud, size, DELTA_BLOCKS, seed + round);
          boolean reread = round % 2 == 1;
          String session = "p2-" + round;
          timed("phase 2, 64 MiB (TRACKED)" + (reread ? ", written blocks read back" : ""),
              () -> sync(cloud, onPrem, SyncMode.TRACKED, session, changed,
                  p -> p.setRereadWritten(reread)));
          (reread ? readBack : plain).add(lastSeconds);
        }
        rows.add(String.format(Locale.ROOT, "| phase 2 of 64 MiB, median of %d | %.3f s without"
            + " read-back, %.3f s with | |", ROUNDS / 2, median(plain), median(readBack)));
        timed("peer: qemu-img compare after phase 2 (reads both sides)", () -> {
          BenchSetup.run("qemu-img", "compare", "-q", "-f", "raw", "-F", "raw",
              cloud.toString(), onPrem.toString());
          return null;
        });
      } finally {
        agent.destroy();
        agent.waitFor(10, TimeUnit.SECONDS);
      }
    }
    System.out.println();
    System.out.println("| step | result | notes |");
    System.out.println("|---|---|---|");
    rows.forEach(System.out::println);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  private interface Step<T> {
    T run() throws Exception;
  }

  private double lastSeconds;

  private <T> void timed(String name, Step<T> step) throws Exception {
    long start = System.nanoTime();
    T result = step.run();
    lastSeconds = (System.nanoTime() - start) / 1e9;
    String notes = result instanceof SyncOutcome outcome ? String.format(Locale.ROOT,
        "agent read %d MiB, blocks sent %d", outcome.agent().getBytesRead() >> 20,
        outcome.controller().progress().blocksSent()) : "";
    rows.add(String.format(Locale.ROOT, "| %s | %.3f s | %s |", name, lastSeconds, notes));
    BenchSetup.log(name + ": " + String.format(Locale.ROOT, "%.3f s", lastSeconds));
  }

  private SyncOutcome sync(Path local, Path remote, SyncMode mode, String id, BitSet changed,
      UnaryOperator<SyncParameters.Builder> options) throws Exception {
    SyncParameters parameters = options.apply(SyncParameters.newBuilder().setSessionId(id)
        .setMode(mode).setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(seed)
        .setBlockSize(BLOCK).setBlocksPerBatch(256).setDiskSize(size).setLaneCount(2)
        .setWindowBatches(8).setCompress(true).setDigestSet("read-back-d0")).build();
    try (BlockDevice device = BlockDevices.open(local, false)) {
      SyncOutcome outcome = controller.syncs().sync("bench-host", StartSync.newBuilder()
              .setParameters(parameters).setAgentRole(SyncRole.TARGET)
              .setDiskPath(remote.toString()).build(), device, Map.of(), checkpoint -> {},
          new SyncProgress(), changed, null).get(1, TimeUnit.HOURS);
      if (!outcome.digestsMatch()) {
        throw new IllegalStateException("digests differ: " + outcome);
      }
      return outcome;
    }
  }
}
