package io.failback.controller.bench;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.grpc.LeakDetection;
import io.failback.controller.ControllerConfig;
import io.failback.controller.ControllerServer;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.SyncMode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A large thin disk the guest wrote little of, over {@link WanRelay}: a checksum pass, phase 2
 * and a full download, each with one batch end per batch against one per run of batches the
 * guest did not write or that are holes ({@code batches_per_end}).
 *
 * <p>Per round trip: both sides record their digest sets (a checksum pass of the identical
 * disks, as a phase 1 over a thin disk is: timed once each way, the second pass's set is
 * kept), then, twice in turn for each way: the "cloud VM" writes {@code CLUSTERS} clusters of
 * 4 MiB at random places, and a TRACKED session sends them. Each pass writes other places, the
 * same amount; the run fails unless each sends exactly the blocks written. The peer: what one
 * pass writes, sent as one plain TCP stream over the same relay. Then a full download of the
 * disk (its holes, and what the passes wrote) onto a fresh thin disk, once each way.
 *
 * <p>Arguments: DATA_DIR DISK_GIB [RTTS_MS [RATE_MBIT [CLUSTERS]]] (default 64, 0,60,120, 1000,
 * 8).
 */
public final class ThinDiskWanBenchmark {
  private static final int CLUSTER = 4 << 20;

  public static void main(String[] args) throws Exception {
    // As the controller's own main: Netty's sampled leak tracking costs CPU per block.
    LeakDetection.offUnlessSet();
    Path data = Path.of(args.length > 0 ? args[0] : "bench/data-thin").toAbsolutePath();
    long size = (args.length > 1 ? Long.parseLong(args[1]) : 64) << 30;
    List<Long> rtts = java.util.Arrays.stream((args.length > 2 ? args[2] : "0,60,120")
        .split(",")).map(Long::parseLong).toList();
    long rate = args.length > 3 ? Long.parseLong(args[3]) : 1000;
    int clusters = args.length > 4 ? Integer.parseInt(args[4]) : 8;

    BenchSetup.Identities identities = BenchSetup.freshData(data);
    Path host = data.resolve("host");
    SimulatedHostSeeder.seed(host, "bench-host", List.of(new VmSpec("bench-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, size),
            new DiskSpec(DiskFormat.RAW, size)))));
    var disks = new SimulatedHypervisor(host).inventory().getVirtualMachines(0).getDisksList();
    Path onPrem = Path.of(disks.get(0).getPath());
    Path fresh = Path.of(disks.get(1).getPath());
    Path cloud = data.resolve("cloud.raw");
    try (RandomAccessFile file = new RandomAccessFile(cloud.toFile(), "rw")) {
      file.setLength(size);
    }
    System.out.println("| RTT | cap | disk | written per pass | plain TCP stream of it |"
        + " phase 2, one batch per end, 2 passes | phase 2, one end per run, 2 passes |"
        + " full download, one batch per end / per run |"
        + " checksum pass, one batch per end / per run |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    ControllerConfig config = ControllerConfig.withDefaults("127.0.0.1", 0,
        data.resolve("state"), identities.controller());
    try (ControllerServer controller = ControllerServer.start(config, Clock.systemUTC());
        WanRelay relay = new WanRelay(new InetSocketAddress("127.0.0.1", controller.port()));
        WanBenchmark.Sink sink = new WanBenchmark.Sink()) {
      Process agent = BenchSetup.startAgent(data, relay.port(), identities.agent(), host);
      try {
        BenchSetup.awaitOnline(controller, agent);
        SplittableRandom random = new SplittableRandom(11);
        for (long rtt : rtts) {
          relay.set(rtt, rate);
          // The peer: the bytes one pass writes, as one plain stream over the same relay.
          long peerBytes = (long) clusters * CLUSTER;
          double peer = peerBytes * 8 / (new WanBenchmark.WanRelayStream(relay, sink)
              .megabitsPerSecond(peerBytes) * 1e6);
          String set = "p2-" + rtt;
          double[] checksums = new double[2];
          for (int way = 0; way < 2; way++) {
            perEnd(way);
            long started = System.nanoTime();
            BenchSetup.sync(controller, cloud, onPrem, SyncMode.DELTA,
                "record-" + rtt + "-" + way, size, way == 0 ? "p1-" + rtt : set, null);
            checksums[way] = (System.nanoTime() - started) / 1e9;
          }
          double[][] seconds = new double[2][2];
          for (int pass = 0; pass < 2; pass++) {
            for (int way = 0; way < 2; way++) {
              perEnd(way);
              BitSet written = write(cloud, size, clusters, random);
              long started = System.nanoTime();
              long sent = BenchSetup.sync(controller, cloud, onPrem, SyncMode.TRACKED,
                  "p2-" + rtt + "-" + pass + "-" + way, size, set, written).controller()
                  .progress().blocksSent();
              seconds[way][pass] = (System.nanoTime() - started) / 1e9;
              if (sent != written.cardinality()) {
                throw new IllegalStateException("phase 2 sent " + sent + " blocks, "
                    + written.cardinality() + " were written");
              }
            }
          }
          double[] full = new double[2];
          for (int way = 0; way < 2; way++) {
            perEnd(way);
            long started = System.nanoTime();
            BenchSetup.sync(controller, cloud, fresh, SyncMode.FULL, "full-" + rtt + "-" + way,
                size);
            full[way] = (System.nanoTime() - started) / 1e9;
          }
          System.out.printf(Locale.ROOT, "| %d ms | %d Mbit/s | %d GiB | %d MiB in %d places |"
              + " %.2f s | %.2f / %.2f s | %.2f / %.2f s | %.2f / %.2f s | %.2f / %.2f s |%n",
              rtt, rate, size >> 30, peerBytes >> 20, clusters, peer, seconds[0][0],
              seconds[0][1], seconds[1][0], seconds[1][1], full[0], full[1], checksums[0],
              checksums[1]);
        }
      } finally {
        agent.destroy();
        agent.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Way 0: one batch end per batch, as before runs; way 1: the product's runs. */
  private static void perEnd(int way) {
    if (way == 0) {
      System.setProperty("batchesPerEnd", "1");
    } else {
      System.clearProperty("batchesPerEnd");
    }
  }

  /** Writes {@code clusters} runs of 4 MiB of random bytes at random 4 MiB-aligned places. */
  private static BitSet write(Path file, long size, int clusters, SplittableRandom random)
      throws IOException {
    BitSet written = new BitSet();
    byte[] bytes = new byte[CLUSTER];
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      for (int i = 0; i < clusters; i++) {
        long offset = random.nextLong(size / CLUSTER) * CLUSTER;
        random.nextBytes(bytes);
        channel.write(ByteBuffer.wrap(bytes), offset);
        int first = (int) (offset / BenchImages.BLOCK);
        written.set(first, first + CLUSTER / BenchImages.BLOCK);
      }
      channel.force(true);
    }
    return written;
  }
}
