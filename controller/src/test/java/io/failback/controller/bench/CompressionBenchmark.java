package io.failback.controller.bench;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.grpc.LeakDetection;
import io.failback.controller.ControllerConfig;
import io.failback.controller.ControllerServer;
import io.failback.controller.tuning.CompressionPolicy;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.SyncMode;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * A full download of a disk holding a system disk's content (a sample: bench/codec-throughput
 * makes one) through the WAN relay at each rate, with each compression, next to a plain TCP
 * stream over the same relay; and what the compression policy chooses for that link. Run by
 * {@code bench/compression}.
 */
public final class CompressionBenchmark {
  private static final List<String> CODECS = List.of("none", "lz4", "zstd:1", "zstd:3",
      "zstd:6", "zstd:9");

  private CompressionBenchmark() {}

  public static void main(String[] args) throws Exception {
    // As the controller's own main: Netty's sampled leak tracking costs CPU per block.
    LeakDetection.offUnlessSet();
    Path data = Path.of(args[0]).toAbsolutePath();
    Path sample = Path.of(args[1]).toAbsolutePath();
    long rtt = Long.parseLong(args[2]);
    List<Long> rates = java.util.Arrays.stream(args[3].split(",")).map(Long::parseLong).toList();
    List<Long> uploadRates = java.util.Arrays.stream((args.length > 4 ? args[4] : "100")
        .split(",")).map(Long::parseLong).toList();
    long size = Files.size(sample) / BenchImages.BLOCK * BenchImages.BLOCK;
    BenchSetup.Identities identities = BenchSetup.freshData(data);
    Path host = data.resolve("host");
    SimulatedHostSeeder.seed(host, "bench-host", List.of(new VmSpec("bench-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, size)))));
    Path target = Path.of(new SimulatedHypervisor(host).inventory().getVirtualMachines(0)
        .getDisks(0).getPath());
    Path cloud = data.resolve("cloud.raw");
    try (var in = Files.newInputStream(sample); var out = Files.newOutputStream(cloud)) {
      in.transferTo(out);
    }
    try (var channel = java.nio.channels.FileChannel.open(cloud,
        java.nio.file.StandardOpenOption.WRITE)) {
      channel.truncate(size);
    }
    ControllerConfig config = ControllerConfig.withDefaults("127.0.0.1", 0,
        data.resolve("state"), identities.controller());
    System.out.printf(Locale.ROOT, "disk: %d MiB of %s; RTT %d ms%n", size >> 20, sample, rtt);
    System.out.println("| cap | plain TCP stream | compression | full download | on the wire"
        + " | time vs none | policy's choice |");
    System.out.println("|---|---|---|---|---|---|---|");
    try (ControllerServer controller = ControllerServer.start(config, Clock.systemUTC());
        WanRelay relay = new WanRelay(new InetSocketAddress("127.0.0.1", controller.port()));
        WanBenchmark.Sink sink = new WanBenchmark.Sink()) {
      Process agent = BenchSetup.startAgent(data, relay.port(), identities.agent(), host);
      try {
        BenchSetup.awaitOnline(controller, agent);
        relay.set(0, 0);
        System.setProperty("compression", "lz4");
        BenchSetup.sync(controller, cloud, target, SyncMode.FULL, "warm-up", size);
        int run = 0;
        for (long rate : rates) {
          relay.set(rtt, rate);
          double stream = new WanBenchmark.WanRelayStream(relay, sink).megabitsPerSecond(
              Math.max(64L << 20, rate * 1_000_000 / 8 * 6));
          String choice = CompressionPolicy.choose("bench-host", OptionalLong.empty(),
              Optional.of(new CompressionPolicy.Measured(stream * 1e6 / 8, true)), 2)
              .codec().toString();
          double none = 0;
          for (String codec : CODECS) {
            System.setProperty("compression", codec);
            long started = System.nanoTime();
            var outcome = BenchSetup.sync(controller, cloud, target, SyncMode.FULL,
                "c" + run++, size);
            double seconds = (System.nanoTime() - started) / 1e9;
            none = codec.equals("none") ? seconds : none;
            System.out.printf(Locale.ROOT, "| %d Mbit/s | %.0f Mbit/s | %s | %.1f s | %.0f MiB"
                + " | %.2f | %s |%n", rate, stream, codec, seconds,
                outcome.controller().progress().bytesOnWire() / 1048576.0, seconds / none,
                choice);
          }
        }
        // The other direction: the agent compresses (protection, reverse replication).
        Path uploaded = data.resolve("uploaded.raw");
        try (var channel = java.nio.channels.FileChannel.open(uploaded,
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
          channel.truncate(0);
          channel.write(java.nio.ByteBuffer.allocate(1), size - 1);
        }
        System.out.println();
        System.out.println("| cap | upload (the agent sends) | on the wire | time vs none |");
        System.out.println("|---|---|---|---|");
        for (long rate : uploadRates) {
          relay.set(rtt, rate);
          double none = 0;
          for (String codec : List.of("none", "lz4", "zstd:3", "zstd:6")) {
            System.setProperty("compression", codec);
            long started = System.nanoTime();
            var outcome = BenchSetup.sync(controller, uploaded, target, SyncMode.FULL,
                "u" + run++, size, null, io.failback.proto.v1.SyncRole.SOURCE);
            double seconds = (System.nanoTime() - started) / 1e9;
            none = codec.equals("none") ? seconds : none;
            System.out.printf(Locale.ROOT, "| %d Mbit/s | %s %.1f s | %.0f MiB | %.2f |%n", rate,
                codec, seconds, outcome.controller().progress().bytesReceived() / 1048576.0,
                seconds / none);
          }
        }
      } finally {
        agent.destroy();
        agent.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
