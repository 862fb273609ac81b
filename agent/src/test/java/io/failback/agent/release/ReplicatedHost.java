package io.failback.agent.release;

import io.failback.agent.hyperv.ReadPoint;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.agent.hyperv.state.ParkedReadPoints;
import io.failback.agent.hyperv.state.ReadPoints;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.sync.DigestSets;
import io.failback.common.sync.DiskSync;
import io.failback.common.sync.SyncProgress;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * A simulated host whose running VM app-01 (two disks) the agent replicated as a source: each
 * disk read from the VM's read point into a stand-in cloud disk, recording a digest set; the
 * read point then kept as the disks' reference points. A second VM, db-01, has a reference
 * point of its own that no release of app-01 may touch.
 */
final class ReplicatedHost implements AutoCloseable {
  static final long MIB = 1L << 20;

  final Path host;
  final Path state;
  final GuardedHypervisor driver;
  final DigestSets digestSets;
  final ParkedReadPoints parked = new ParkedReadPoints();
  final VirtualMachine app;
  final VirtualMachine db;
  final List<String> sets = new ArrayList<>();
  /** The reference point of db-01's disk, made by the agent for another protected VM. */
  String dbReference;

  ReplicatedHost(Path dir) throws Exception {
    host = dir.resolve("hv-01");
    state = dir.resolve("state");
    SimulatedHostSeeder.seed(host, "hv-01", List.of(
        new VmSpec("app-01", "Running", List.of("LAN"), List.of(
            new DiskSpec(DiskFormat.RAW, 2 * MIB), new DiskSpec(DiskFormat.VHDX, 4 * MIB))),
        new VmSpec("db-01", "Off", List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, MIB)))));
    driver = new GuardedHypervisor(new SimulatedHypervisor(host), state);
    digestSets = new DigestSets(state.resolve("digests"));
    app = vm("app-01");
    db = vm("db-01");
  }

  /** A replication of app-01 that succeeded: digest sets and two reference points. */
  void replicate(long generation) throws Exception {
    driver.generations().admit(app.getId(), generation);
    ReadPoints.Lease lease = driver.readPoints().join(app.getId());
    List<String> disks = new ArrayList<>();
    for (int i = 0; i < app.getDisksCount(); i++) {
      String disk = app.getDisks(i).getPath();
      String set = app.getId() + "-disk-" + i;
      copy(lease.point(), disk, set);
      disks.add(disk);
      sets.add(set);
    }
    lease.succeeded(disks);
    dbReference = driver.readPoints().referencePoint(db.getId(), List.of(db.getDisks(0)
        .getPath())).get(db.getDisks(0).getPath());
  }

  /** A source session of app-01 under {@code token} that failed: its read point is parked. */
  void failedSession(String token) throws Exception {
    String disk = app.getDisks(0).getPath();
    parked.started(app.getId(), token, disk);
    ReadPoints.Lease lease = driver.readPoints().join(app.getId());
    parked.park(app.getId(), token, disk, lease);
    parked.ended(app.getId(), token, disk);
  }

  /** Reads {@code disk} as the read point froze it, as a DELTA session recording {@code set}. */
  private void copy(ReadPoint point, String disk, String set) throws Exception {
    try (BlockDevice source = BlockDevices.open(point.disk(disk), false)) {
      SyncParameters parameters = SyncParameters.newBuilder().setSessionId("s-" + set)
          .setMode(SyncMode.DELTA).setDigestAlgorithm(DigestAlgorithm.XXH3_128)
          .setDigestSeed(7).setBlockSize(64 * 1024).setBlocksPerBatch(8)
          .setDiskSize(source.size()).setLaneCount(1).setWindowBatches(2).setDigestSet(set)
          .build();
      MemoryTransport transport = MemoryTransport.reliable();
      DiskSync cloud = new DiskSync(parameters, SyncRole.TARGET,
          new MemoryBlockDevice(new byte[(int) source.size()], 512, true),
          transport.acceptor(), transport::durable, new SyncProgress(), 5, Duration.ofMillis(1),
          new DiskSync.Options(new DigestSets(state.resolve("cloud-digests")), null));
      CompletableFuture<DiskSync.Result> written = CompletableFuture.supplyAsync(() -> {
        try {
          return cloud.run();
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      });
      new DiskSync(parameters, SyncRole.SOURCE, source, transport.opener(), checkpoint -> { },
          new SyncProgress(), 5, Duration.ofMillis(1), new DiskSync.Options(digestSets, null))
          .run();
      written.get(60, TimeUnit.SECONDS);
    }
  }

  /** The files of {@code folder} of the host or the agent's state, by name. */
  static List<String> files(Path folder) throws Exception {
    if (!Files.exists(folder)) {
      return List.of();
    }
    try (var files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  /** How many reference points the simulated host keeps, of any VM. */
  int referencePoints() throws Exception {
    return (int) files(host.resolve("change-tracking")).stream()
        .filter(f -> f.endsWith(".ref")).count();
  }

  /** Whether the host still knows db-01's reference point. */
  boolean dbReferenceKnown() throws Exception {
    String disk = db.getDisks(0).getPath();
    return new SimulatedHypervisor(host).changeTracking().changedSince(disk, dbReference, MIB)
        .isPresent();
  }

  private VirtualMachine vm(String name) throws Exception {
    return driver.inventory().getVirtualMachinesList().stream()
        .filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
  }

  @Override
  public void close() {
    parked.close();
  }
}
