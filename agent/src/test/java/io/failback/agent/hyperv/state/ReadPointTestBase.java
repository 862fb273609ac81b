package io.failback.agent.hyperv.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.agent.hyperv.ChangeTracking;
import io.failback.agent.hyperv.ForwardingHypervisor;
import io.failback.agent.hyperv.ForwardingReadPoint;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A running VM on a simulated host, the agent's read points of it, and a driver that counts. */
abstract class ReadPointTestBase {
  static final long MIB = 1L << 20;

  @TempDir Path tmp;
  Path host;
  Path state;
  Recording driver;
  ReadPoints readPoints;
  VirtualMachine vm;
  String disk0;
  String disk1;

  @BeforeEach
  void seedRunningVm() throws IOException {
    host = tmp.resolve("hv-01");
    state = tmp.resolve("state");
    SimulatedHostSeeder.seed(host, "hv-01", List.of(new SimulatedHostSeeder.VmSpec("app-01",
        "Running", List.of("LAN"), List.of(new SimulatedHostSeeder.DiskSpec(DiskFormat.RAW,
            2 * MIB), new SimulatedHostSeeder.DiskSpec(DiskFormat.VHDX, 4 * MIB)))));
    driver = new Recording(new SimulatedHypervisor(host));
    readPoints = new ReadPoints(driver, state);
    vm = driver.inventory().getVirtualMachines(0);
    disk0 = vm.getDisks(0).getPath();
    disk1 = vm.getDisks(1).getPath();
  }

  static CompletableFuture<String> succeedLater(ReadPoints.Lease lease, String disk) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return lease.succeeded(disk);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  CompletableFuture<ReadPoints.Lease> joinLater() {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return readPoints.join(vm.getId());
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /**
   * Makes the next keeping of a read point wait for {@code release}; returns a latch that opens
   * once it waits.
   */
  CountDownLatch pauseKeeping(CountDownLatch release) {
    CountDownLatch keeping = new CountDownLatch(1);
    driver.beforeKeep = () -> {
      keeping.countDown();
      release.await();
    };
    return keeping;
  }

  /** The simulated host's change tracking, to ask what changed since a reference point. */
  ChangeTracking tracking() {
    return new SimulatedHypervisor(host).changeTracking();
  }

  /** No frozen copies on the host and no read point recorded by the agent. */
  void assertNothingLeft() throws IOException {
    assertEquals(List.of(), driver.openPoints());
    Path records = state.resolve("read-points");
    if (Files.exists(records)) {
      try (var files = Files.list(records)) {
        assertEquals(List.of(), files.toList());
      }
    }
  }

  @FunctionalInterface
  interface Pause {
    void await() throws InterruptedException;
  }

  /** The simulated host, counting its read points and failing where a test asks. */
  final class Recording extends ForwardingHypervisor {
    int created;
    int discarded;
    final List<String> discardedIds = new ArrayList<>();
    final List<List<String>> kept = new ArrayList<>();
    volatile boolean refuseCreate;
    volatile boolean timeOutCreate;
    final List<java.time.Instant> discardedSince = new ArrayList<>();
    volatile boolean failKeep;
    volatile RuntimeException keepBug;
    volatile Pause beforeKeep = () -> { };
    volatile Pause beforeCreate = () -> { };

    Recording(SimulatedHypervisor inner) {
      super(inner);
    }

    List<String> openPoints() throws IOException {
      Path dir = host.resolve("read-points");
      if (!Files.exists(dir)) {
        return List.of();
      }
      try (var files = Files.list(dir)) {
        return files.map(f -> f.getFileName().toString()).toList();
      }
    }

    @Override
    public ReadPoint createReadPoint(String vmId) throws IOException {
      try {
        beforeCreate.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      if (refuseCreate) {
        throw new IOException("VM 'app-01' has 1 checkpoint(s)");
      }
      if (timeOutCreate) {
        super.createReadPoint(vmId); // made, but the answer never came
        throw new ReadPoint.OutcomeUnknownException(
            "PowerShell did not create a read point within 600 s", null);
      }
      created++;
      ReadPoint point = super.createReadPoint(vmId);
      return new ForwardingReadPoint(point) {
        @Override
        public Map<String, String> keep(List<String> diskPaths) throws IOException {
          if (failKeep) {
            throw new IOException("ConvertToReferencePoint returned 32768");
          }
          if (keepBug != null) {
            throw keepBug;
          }
          try {
            beforeKeep.await();
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
          kept.add(List.copyOf(diskPaths));
          return super.keep(diskPaths);
        }

        @Override
        public void discard() throws IOException {
          discarded++;
          super.discard();
        }
      };
    }

    @Override
    public void discardReadPointsSince(String vmId, java.time.Instant since) throws IOException {
      discardedSince.add(since);
      super.discardReadPointsSince(vmId, since);
    }

    @Override
    public void discardReadPoint(String vmId, String readPointId) throws IOException {
      discardedIds.add(readPointId);
      super.discardReadPoint(vmId, readPointId);
    }
  }
}
