package io.failback.controller.bench;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.grpc.LeakDetection;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.ControllerConfig;
import io.failback.controller.ControllerServer;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.SyncMode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The sync benchmark: a controller in this JVM, an agent in its own JVM (launched through
 * bin/failback-agent with -Xmx256m), real mutual TLS on loopback, and each scenario's peer
 * (rsync, cp) run right after it on the same files.
 *
 * <p>Run with {@code bench/sync-benchmark [DATA_DIR] [SIZE_GIB]}; prints a Markdown table.
 */
public final class SyncBenchmark {
  private static final int BLOCK = BenchImages.BLOCK;
  private static final long WARM_UP = 512L << 20;
  private final Path data;
  private final long size;
  private final List<String> rows = new ArrayList<>();

  private SyncBenchmark(Path data, long size) {
    this.data = data;
    this.size = size;
  }

  public static void main(String[] args) throws Exception {
    // As the controller's own main: Netty's sampled leak tracking costs CPU per block.
    LeakDetection.offUnlessSet();
    Path data = Path.of(args.length > 0 ? args[0] : "bench/data").toAbsolutePath();
    long gib = args.length > 1 ? Long.parseLong(args[1]) : 4;
    new SyncBenchmark(data, gib << 30).run();
  }

  private void run() throws Exception {
    BenchSetup.Identities identities = BenchSetup.freshData(data);
    TlsFiles controllerTls = identities.controller();
    TlsFiles agentTls = identities.agent();
    Path host = data.resolve("host");
    SimulatedHostSeeder.seed(host, "bench-host", List.of(new VmSpec("bench-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, size),
            new DiskSpec(DiskFormat.RAW, size), new DiskSpec(DiskFormat.RAW, WARM_UP)))));
    var disks = new SimulatedHypervisor(host).inventory().getVirtualMachines(0).getDisksList();
    Path onPrem = Path.of(disks.get(0).getPath());
    Path fullTarget = Path.of(disks.get(1).getPath());
    Path warmUpTarget = Path.of(disks.get(2).getPath());

    BenchSetup.log("writing images (" + (size >> 30) + " GiB each)");
    // -Donly=full: the full copies alone (their image only), for a quicker look at them;
    // -Donly=delta: the delta and the identical scan alone.
    boolean fullOnly = "full".equals(System.getProperty("only", ""));
    boolean deltaOnly = "delta".equals(System.getProperty("only", ""));
    Path cloud = data.resolve("cloud.raw");
    Path rsyncTarget = data.resolve("rsync-target.raw");
    int changed = 0;
    if (!fullOnly) {
      BenchImages.random(cloud, size, 0.0, 1);
      BenchSetup.copy(cloud, onPrem);
      changed = BenchImages.changeBlocks(onPrem, size, (int) (size / BLOCK / 100), 2);
      BenchSetup.copy(onPrem, rsyncTarget);
    }
    Path cloudHalf = data.resolve("cloud-half-zero.raw");
    BenchImages.random(cloudHalf, size, 0.5, 3);
    Path warmUp = data.resolve("warm-up.raw");
    BenchImages.random(warmUp, WARM_UP, 0.5, 4);
    BenchSetup.holdEncryptionCertificate(host);
    // Nothing dirty in the page cache: each side's fsyncs pay only for their own writes.
    BenchSetup.run("sync");

    try (ControllerServer controller = ControllerServer.start(ControllerConfig.withDefaults(
        "127.0.0.1", 0, data.resolve("state"), controllerTls), Clock.systemUTC())) {
      Process agent = startAgent(controller.port(), agentTls, host);
      try {
        BenchSetup.awaitOnline(controller, agent);
        agentPid = agent.pid();
        profiler = StepProfiler.fromProperties().watch(ProcessHandle.current().pid(),
            "controller").watch(agent.pid(), "agent");
        // Both JVMs compile the hot paths first, as a long-running agent and controller have.
        BenchSetup.log("warming up both JVMs");
        // One round is about a second: young JVMs still compile most of the stack for many
        // seconds after it (async-profiler: the JIT was 27-46 % of both JVMs' CPU in the first
        // timed copy after one round), so the rounds go on until their time settles.
        int rounds = Integer.getInteger("warmups", 8);
        for (int round = 1; round <= rounds; round++) {
          long start = System.nanoTime();
          sync(controller, warmUp, warmUpTarget, SyncMode.FULL, "warm-up-full-" + round, WARM_UP);
          // 1 % of the target changed, so that the delta round runs the wants path too.
          BenchImages.changeBlocks(warmUpTarget, WARM_UP, (int) (WARM_UP / BLOCK / 100),
              100 + round);
          sync(controller, warmUp, warmUpTarget, SyncMode.DELTA, "warm-up-delta-" + round,
              WARM_UP);
          BenchSetup.log(String.format(Locale.ROOT, "warm-up round %d: %.2f s", round,
              (System.nanoTime() - start) / 1e9));
        }
        if (!fullOnly) {
          deltaAndScan(controller, cloud, onPrem, rsyncTarget, changed);
        }
        if (!deltaOnly) {
          fullCopies(controller, cloudHalf, fullTarget);
        }
        rows.add("| agent peak RSS (VmHWM), -Xmx256m | " + BenchSetup.peakRss(agent) + " | |");
      } finally {
        agent.destroy();
        agent.waitFor(10, TimeUnit.SECONDS);
      }
    }
    System.out.println();
    System.out.println("Sessions' block size: " + BenchSetup.blockSize() + " bytes");
    System.out.println("| scenario | result | notes |");
    System.out.println("|---|---|---|");
    rows.forEach(System.out::println);
  }

  private void fullCopies(ControllerServer controller, Path cloudHalf, Path fullTarget)
      throws Exception {
    // The images together are most of the page cache: the source of the full copy may have
    // left it, and cp, timed after our copy, would then read it warm where we read it cold.
    BenchSetup.warm(cloudHalf);
    SyncOutcome full = timed("full copy, half zero blocks", () -> sync(controller,
        cloudHalf, fullTarget, SyncMode.FULL, "full"));
    double ours = lastSeconds;
    timedCommand("cp --sparse=always (same image)", "cp", "--sparse=always",
        cloudHalf.toString(), data.resolve("cp-copy.raw").toString());
    ratio("full copy vs cp", ours, lastSeconds);
    double cpSeconds = lastSeconds;
    timedCommand("then sync (cp's data durable, as ours is)", "sync");
    ratio("full copy vs cp + sync", ours, cpSeconds + lastSeconds);
    wire("full", full, full.controller().progress().blocksSent() * BenchSetup.blockSize());
    // Encrypted next to plain on equal terms: both into the target the first copy
    // allocated (a fresh sparse target costs the file system its allocation).
    timed("full copy again, target allocated", () -> sync(controller, cloudHalf, fullTarget,
        SyncMode.FULL, "full-again"));
    double plain = lastSeconds;
    timed("full copy, half zero blocks, encrypted end to end (AES-GCM per block)",
        () -> BenchSetup.sync(controller, cloudHalf, fullTarget, SyncMode.FULL,
            "full-encrypted", size, BenchSetup.encryption(controller)));
    ratio("encrypted full copy vs the plain one (both into the allocated target)",
        lastSeconds, plain);
    // The first copy's target was a fresh sparse file: is that what it paid for?
    try (var file = new java.io.RandomAccessFile(fullTarget.toFile(), "rw")) {
      file.setLength(0);
      file.setLength(size);
    }
    BenchSetup.run("sync");
    timed("full copy into a fresh sparse target again", () -> sync(controller, cloudHalf,
        fullTarget, SyncMode.FULL, "full-fresh"));
  }

  private void deltaAndScan(ControllerServer controller, Path cloud, Path onPrem,
      Path rsyncTarget, int changed) throws Exception {
    double scan = new LocalScan(cloud).gigabytesPerSecond();
    rows.add(String.format(Locale.ROOT, "| scan rate, one side (read + XXH3-128, 2 lanes) |"
        + " %.2f GB/s | same reader and digester as a lane, no peer |", scan));
    // The warm-up's passes over 512 MiB leave part of a 4 GiB pass to the JIT (-XX:+Print
    // Compilation in agent.opts: C2 still compiling the target's compare and gRPC's read path
    // during it, a third of the agent's CPU): the first pass of this size is timed apart, and the
    // change is made again (the same blocks flipped back) for the pass compared with rsync.
    timed("delta sync, 1 % changed, the first pass of this size in these JVMs", () -> sync(
        controller, cloud, onPrem, SyncMode.DELTA, "delta-first"));
    BenchImages.changeBlocks(onPrem, size, changed, 2);
    SyncOutcome delta = timed("delta sync, 1 % of blocks changed", () -> sync(controller,
        cloud, onPrem, SyncMode.DELTA, "delta"));
    double ours = lastSeconds;
    timedCommand("rsync --inplace --no-whole-file (same change)", "rsync", "--inplace",
        "--no-whole-file", cloud.toString(), rsyncTarget.toString());
    ratio("delta sync vs rsync", ours, lastSeconds);
    // The blocks the change touched at the sessions' block size (-DblockSize), all of them sent.
    wire("delta", delta, delta.controller().progress().blocksSent() * BenchSetup.blockSize());

    SyncOutcome identical = timed("scan, identical images (both sides hash)", () -> sync(
        controller, cloud, onPrem, SyncMode.DELTA, "scan"));
    rows.add(String.format(Locale.ROOT, "| scan rate, both sides on this machine | %.2f GB/s"
        + " | %d blocks sent |", size / lastSeconds / 1e9,
        identical.controller().progress().blocksSent()));
    ours = lastSeconds;
    timedCommand("rsync on identical images", "rsync", "--inplace", "--no-whole-file",
        cloud.toString(), rsyncTarget.toString());
    ratio("scan vs rsync", ours, lastSeconds);
  }

  private interface Step<T> {
    T run() throws Exception;
  }

  private double lastSeconds;
  /** Profiles each timed step of ours when -Dprofiler.jar is set; the peers' steps too (cheap). */
  private StepProfiler profiler;
  private long agentPid;

  private <T> T timed(String name, Step<T> step) throws Exception {
    profiler.start();
    CpuTimes cpu = CpuTimes.now(agentPid);
    long start = System.nanoTime();
    T result = step.run();
    lastSeconds = (System.nanoTime() - start) / 1e9;
    String used = CpuTimes.now(agentPid).since(cpu).describe();
    profiler.stop(name);
    rows.add(String.format(Locale.ROOT, "| %s | %.2f s | %s |", name, lastSeconds, used));
    BenchSetup.log(name + ": " + String.format(Locale.ROOT, "%.2f s", lastSeconds));
    return result;
  }

  private void timedCommand(String name, String... command) throws Exception {
    timed(name, () -> {
      Process process = new ProcessBuilder(command).inheritIO().start();
      if (process.waitFor() != 0) {
        throw new IOException(String.join(" ", command) + " failed");
      }
      return null;
    });
  }

  private void ratio(String name, double ours, double theirs) {
    rows.add(String.format(Locale.ROOT, "| %s | %.2f× their time | |", name, ours / theirs));
  }

  private void wire(String name, SyncOutcome outcome, long payloadBytes) {
    long wire = outcome.controller().progress().bytesOnWire() + outcome.agent().getBytesOnWire();
    long digests = outcome.agent().getBlocksScanned() * 16;
    rows.add(String.format(Locale.ROOT, "| %s: bytes on the wire (both ways) | %d | payload %d"
        + " + digests %d = %.3f× |", name, wire, payloadBytes, digests,
        (double) wire / (payloadBytes + digests)));
  }

  private SyncOutcome sync(ControllerServer controller, Path local, Path remote, SyncMode mode,
      String id) throws Exception {
    return sync(controller, local, remote, mode, id, size);
  }

  private SyncOutcome sync(ControllerServer controller, Path local, Path remote, SyncMode mode,
      String id, long size) throws Exception {
    return BenchSetup.sync(controller, local, remote, mode, id, size);
  }

  private Process startAgent(int port, TlsFiles tls, Path host) throws IOException {
    return BenchSetup.startAgent(data, port, tls, host);
  }
}
