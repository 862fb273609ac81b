package io.failback.controller.bench;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.grpc.LeakDetection;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.ControllerConfig;
import io.failback.controller.ControllerServer;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The WAN scenario (docs/BENCHMARKS.md): the agent reaches the controller through
 * {@link WanRelay}, which adds a round trip and caps the rate of each direction. For each
 * round trip and rate: one plain TCP stream over the same relay (the peer), a full download
 * (the controller sends every block of a random image to the agent) and a checksum pass
 * (phase 1 of identical images: digests only). The relay alone is measured first, uncapped.
 *
 * <p>Arguments: DATA_DIR SIZE_MIB [RTTS_MS [RATES_MBIT]], the lists comma-separated (default
 * 0,20,60,120 and 200,500,1000).
 */
public final class WanBenchmark {

  private final Path data;
  private final long size;

  private WanBenchmark(Path data, long size) {
    this.data = data;
    this.size = size;
  }

  public static void main(String[] args) throws Exception {
    // As the controller's own main: Netty's sampled leak tracking costs CPU per block.
    LeakDetection.offUnlessSet();
    Path data = Path.of(args.length > 0 ? args[0] : "bench/data-wan").toAbsolutePath();
    long mib = args.length > 1 ? Long.parseLong(args[1]) : 512;
    List<Long> rtts = list(args.length > 2 ? args[2] : "0,20,60,120");
    List<Long> rates = list(args.length > 3 ? args[3] : "200,500,1000");
    new WanBenchmark(data, mib << 20).run(rtts, rates);
  }

  private static List<Long> list(String text) {
    return java.util.Arrays.stream(text.split(",")).map(Long::parseLong).toList();
  }

  private void run(List<Long> rtts, List<Long> rates) throws Exception {
    BenchSetup.Identities identities = BenchSetup.freshData(data);
    TlsFiles controllerTls = identities.controller();
    TlsFiles agentTls = identities.agent();
    Path host = data.resolve("host");
    SimulatedHostSeeder.seed(host, "bench-host", List.of(new VmSpec("bench-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, size),
            new DiskSpec(DiskFormat.RAW, size), new DiskSpec(DiskFormat.RAW, size)))));
    var disks = new SimulatedHypervisor(host).inventory().getVirtualMachines(0).getDisksList();
    Path fullTarget = Path.of(disks.get(0).getPath());
    Path same = Path.of(disks.get(1).getPath());
    // A thin disk that holds nothing yet: every batch of its full download is a zero range.
    Path emptyTarget = Path.of(disks.get(2).getPath());
    Path empty = data.resolve("empty.raw");
    try (var file = new java.io.RandomAccessFile(empty.toFile(), "rw")) {
      file.setLength(size);
    }
    Path cloud = data.resolve("cloud.raw");
    Path uploaded = data.resolve("uploaded.raw");
    BenchImages.random(uploaded, size, 1.0, 5);
    BenchImages.random(cloud, size, 0.0, 1);
    BenchSetup.copy(cloud, same);
    // Phase 1's input: the on-prem disk with 10 % of its blocks different from the cloud's.
    Path tenPercent = data.resolve("ten-percent.raw");
    BenchSetup.copy(cloud, tenPercent);
    int changed = BenchImages.changeBlocks(tenPercent, size, (int) (size / BenchImages.BLOCK / 10),
        6);
    // Phase 2's source: recorded on both sides each row, then 1 % of its blocks written.
    Path phaseTwo = data.resolve("phase-two.raw");
    BenchSetup.copy(cloud, phaseTwo);
    BenchSetup.run("sync");

    System.out.println("| RTT | cap | plain TCP stream | full download | of the stream |"
        + " checksum pass (identical) | phase 1, 10 % changed | of its bound |"
        + " upload (agent sends) | of the stream | read point (simulated host's copy) |"
        + " upload without it | of the stream | full download, empty thin disk |"
        + " phase 2, 1 % written |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    // -Dupload.window.mib: the controller's --upload-window-mib (0: grpc's auto-tuning).
    ControllerConfig config = ControllerConfig.withDefaults("127.0.0.1", 0, data.resolve("state"),
        controllerTls);
    config = config.withTransport(config.transport().withControllerFlowControlWindow(
        Integer.getInteger("upload.window.mib", 0) << 20));
    try (ControllerServer controller = ControllerServer.start(config, Clock.systemUTC());
        WanRelay relay = new WanRelay(new InetSocketAddress("127.0.0.1", controller.port()));
        Sink sink = new Sink()) {
      relay.set(0, 0);
      double alone = new WanRelayStream(relay, sink).megabitsPerSecond(4L << 30);
      System.out.printf(Locale.ROOT, "| 0 | none (the relay alone) | %.0f Mbit/s | | | |%n",
          alone);
      Process agent = BenchSetup.startAgent(data, relay.port(), agentTls, host);
      try {
        BenchSetup.awaitOnline(controller, agent);
        relay.set(0, 0);
        sync(controller, cloud, fullTarget, SyncMode.FULL, "warm-up-full");
        sync(controller, cloud, same, SyncMode.DELTA, "warm-up-delta");
        // The upload path too (the agent's source lanes, the controller's target), over the
        // first row's link: grpc's auto-tuned windows keep what a connection first measured,
        // so a warm-up at 0 ms would leave windows sized for loopback on the connections.
        relay.set(rtts.get(0), rates.get(0));
        BenchSetup.sync(controller, uploaded, same, SyncMode.FULL, "warm-up-up", size, null,
            SyncRole.SOURCE);
        int row = 0;
        for (long rtt : rtts) {
          for (long rate : rates) {
            relay.set(rtt, rate);
            long streamBytes = Math.max(64L << 20, rate * 1_000_000 / 8 * 6 + rtt * rate * 500);
            double stream = new WanRelayStream(relay, sink).megabitsPerSecond(streamBytes);
            long started = System.nanoTime();
            sync(controller, cloud, fullTarget, SyncMode.FULL, "full-" + row);
            double full = size * 8 / ((System.nanoTime() - started) / 1e9) / 1e6;
            if ("full".equals(System.getProperty("only"))) {
              System.out.printf(Locale.ROOT, "| %d ms | %d Mbit/s | %.0f Mbit/s | %.0f Mbit/s |"
                  + " %.2f |%n", rtt, rate, stream, full, full / stream);
              row++;
              continue;
            }
            BenchSetup.copy(tenPercent, same);
            BenchSetup.run("sync");
            started = System.nanoTime();
            sync(controller, cloud, same, SyncMode.DELTA, "phase1-" + row);
            double phaseOne = (System.nanoTime() - started) / 1e9;
            started = System.nanoTime();
            sync(controller, cloud, same, SyncMode.DELTA, "delta-" + row);
            double scan = (System.nanoTime() - started) / 1e9;
            // Phase 1 cannot beat the slower of hashing everything (the identical pass) and
            // moving the changed blocks at the stream's rate.
            double bound = Math.max(scan, (double) changed * BenchImages.BLOCK * 8 / (stream
                * 1e6));
            started = System.nanoTime();
            long readPoint = BenchSetup.sync(controller, uploaded, same, SyncMode.FULL,
                "up-" + row, size, null, SyncRole.SOURCE).agent().getReadPointMillis();
            long upNanos = System.nanoTime() - started;
            double up = size * 8 / (upNanos / 1e9) / 1e6;
            // Without the simulated host's read point, a copy of the disk a real host's
            // checkpoint does not make: what the transfer itself moved at.
            double upMoving = size * 8 / ((upNanos - readPoint * 1_000_000L) / 1e9) / 1e6;
            started = System.nanoTime();
            sync(controller, empty, emptyTarget, SyncMode.FULL, "empty-" + row);
            double emptyDownload = (System.nanoTime() - started) / 1e9;
            sync(controller, phaseTwo, same, SyncMode.DELTA, "record-" + row, "p2-" + row, null);
            java.util.BitSet written = BenchImages.changedBlocks(phaseTwo, size,
                (int) (size / BenchImages.BLOCK / 100), 100 + row);
            started = System.nanoTime();
            long sent = sync(controller, phaseTwo, same, SyncMode.TRACKED, "phase2-" + row,
                "p2-" + row, written).controller().progress().blocksSent();
            double phaseTwoSeconds = (System.nanoTime() - started) / 1e9;
            if (sent != written.cardinality()) {
              throw new IllegalStateException("phase 2 sent " + sent + " blocks, "
                  + written.cardinality() + " were written");
            }
            System.out.printf(Locale.ROOT, "| %d ms | %d Mbit/s | %.0f Mbit/s | %.0f Mbit/s |"
                + " %.2f | %.1f s | %.1f s | %.2f | %.0f Mbit/s | %.2f | %.1f s | %.0f Mbit/s |"
                + " %.2f | %.2f s | %.2f s |%n",
                rtt, rate, stream, full, full / stream, scan, phaseOne, bound / phaseOne, up,
                up / stream, readPoint / 1e3, upMoving, upMoving / stream, emptyDownload,
                phaseTwoSeconds);
            row++;
          }
        }
      } finally {
        agent.destroy();
        agent.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private void sync(ControllerServer controller, Path local, Path remote, SyncMode mode,
      String id) throws Exception {
    BenchSetup.sync(controller, local, remote, mode, id, size);
  }

  private io.failback.controller.sync.SyncOutcome sync(ControllerServer controller, Path local,
      Path remote, SyncMode mode, String id, String digestSet, java.util.BitSet changed)
      throws Exception {
    return BenchSetup.sync(controller, local, remote, mode, id, size, digestSet, changed);
  }

  /** Reads and drops whatever reaches it: the far end of the plain stream. */
  static final class Sink implements AutoCloseable {
    final ServerSocket server;

    Sink() throws IOException {
      server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    }

    /** Reads one connection to its end; returns the bytes read. */
    CompletableFuture<Long> drainNext() {
      return CompletableFuture.supplyAsync(() -> {
        try (Socket socket = server.accept(); InputStream in = socket.getInputStream()) {
          byte[] buffer = new byte[1 << 20];
          long total = 0;
          for (int n; (n = in.read(buffer)) >= 0; ) {
            total += n;
          }
          return total;
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** One plain TCP stream through a relay of its own to the sink, with the relay's settings. */
  static final class WanRelayStream {
    private final WanRelay settings;
    private final Sink sink;

    WanRelayStream(WanRelay settings, Sink sink) {
      this.settings = settings;
      this.sink = sink;
    }

    double megabitsPerSecond(long bytes) throws Exception {
      try (WanRelay relay = new WanRelay(new InetSocketAddress("127.0.0.1",
          sink.server.getLocalPort()))) {
        relay.copySettings(settings);
        CompletableFuture<Long> received = sink.drainNext();
        long started = System.nanoTime();
        try (Socket socket = new Socket("127.0.0.1", relay.port());
            OutputStream out = socket.getOutputStream()) {
          byte[] buffer = new byte[1 << 20];
          new java.util.Random(7).nextBytes(buffer);
          for (long sent = 0; sent < bytes; sent += buffer.length) {
            out.write(buffer, 0, (int) Math.min(buffer.length, bytes - sent));
          }
        }
        long got = received.get(10, TimeUnit.MINUTES);
        if (got != bytes) {
          throw new IllegalStateException("the stream delivered " + got + " of " + bytes);
        }
        return bytes * 8 / ((System.nanoTime() - started) / 1e9) / 1e6;
      }
    }
  }
}
