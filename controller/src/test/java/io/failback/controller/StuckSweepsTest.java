package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.LocalDirectoryCloud;
import io.failback.controller.lifecycle.ProtectedItems;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.LeaseRecords.Lease;
import io.failback.controller.store.StoreLocation;
import io.failback.controller.store.TestDatabases;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cloud that hangs (a libvirt call that never returns) holds the sweeps that call it, due
 * rollbacks and replication, for as long as it hangs; the lease is renewed and silent hosts go
 * offline meanwhile. Before, the two stuck sweeps took both threads that every periodic task
 * shared: the lease lapsed unrenewed (a standby would take over) and no host went offline.
 */
class StuckSweepsTest {
  private static final String REPLICATED = "5f0c3a52-8a4e-4b8e-9d1a-2c6b7e1f0a01";
  private static final String ROLLED_BACK = "5f0c3a52-8a4e-4b8e-9d1a-2c6b7e1f0a02";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theLeaseIsRenewedAndSilentHostsGoOfflineWhileTheCloudHangs() throws Exception {
    StoreLocation.Postgres store = TestDatabases.newPostgresDatabase();
    ControllerFixture controller = new ControllerFixture(dir);
    controller.store = store;
    controller.lease = new LeaseSettings("ctl-a.example:8443", Duration.ofSeconds(3), false);
    // Cycles as often as the sweep of due rollbacks runs (the heartbeat interval).
    controller.server = ControllerServer.start(controller.config(0)
        .withReplicationInterval(controller.heartbeatInterval), controller.clock);
    cleanup.register(controller);
    ManagedChannel channel = controller.channel(controller.pki.agent("hv-01"));
    cleanup.register(channel::shutdownNow);
    ControlStreamProbe agent = register(channel);
    assertTrue(agent.next().hasRegistered());
    Cloud cloud = controller.server.cloud();
    assertTrue(cloud instanceof LocalDirectoryCloud, cloud.getClass().getName());

    // Every call of the local-directory cloud waits for its monitor: held, the cloud hangs.
    synchronized (cloud) {
      ProtectedItems items = controller.server.protectedItems();
      // Replicated from hv-01, which reports it: each cycle opens the replica's disk.
      walk(items, REPLICATED, "web-01", "hv-01", List.of(ProtectionState.INITIAL_REPLICATION,
          ProtectionState.PROTECTED), b -> b.setCloudVmId("cloud-web-01"));
      // A rollback due while its host is offline: the sweep starts the cloud VM meanwhile.
      walk(items, ROLLED_BACK, "db-01", "hv-02", List.of(ProtectionState.INITIAL_REPLICATION,
          ProtectionState.PROTECTED, ProtectionState.FAILING_OVER,
          ProtectionState.FAILED_OVER_COMMIT_PENDING, ProtectionState.FAILED_OVER,
          ProtectionState.FAILING_BACK, ProtectionState.FAILBACK_INCONSISTENT),
          b -> b.setCloudVmId("cloud-db-01").setUndoJournal("undo-1")
              .setInconsistentReason("failback cancelled"));
      await(() -> waitsForTheCloud("settleDue") && waitsForTheCloud("cycleRound"),
          "both sweeps to wait for the cloud");

      Lease before = lease(store);
      controller.clock.advance(controller.heartbeatTimeout.plusSeconds(1));
      await(() -> !controller.server.registry().isOnline("hv-01"),
          "the silent host hv-01 to go offline");
      await(() -> lease(store).expiresAt().isAfter(before.expiresAt()),
          "the lease to be renewed (it expires at " + before.expiresAt() + ")");
      String ended = agent.awaitEnd().getDescription();
      assertTrue(ended.contains("no heartbeat"), ended);
      assertTrue(waitsForTheCloud("settleDue") && waitsForTheCloud("cycleRound"),
          "a sweep stopped waiting for the hung cloud");
    }
  }

  /** Registers hv-01 reporting the replicated VM with one disk. */
  private static ControlStreamProbe register(ManagedChannel channel) {
    AgentMessage register = MutualTlsTest.register("hv-01");
    VirtualMachine vm = VirtualMachine.newBuilder().setId(REPLICATED).setName("web-01")
        .setGeneration(2).addDisks(VirtualDisk.newBuilder().setPath("/vms/web-01.raw")
            .setFormat(DiskFormat.RAW).setVirtualSizeBytes(1 << 20)).build();
    ControlStreamProbe probe = new ControlStreamProbe();
    probe.requests = AgentServiceGrpc.newStub(channel).connect(probe);
    probe.requests.onNext(register.toBuilder().setRegister(register.getRegister().toBuilder()
        .setInventory(register.getRegister().getInventory().toBuilder().addVirtualMachines(vm)))
        .build());
    return probe;
  }

  /** Creates the item and moves it through {@code states}, the last with {@code changes}. */
  private static void walk(ProtectedItems items, String vmId, String name, String host,
      List<ProtectionState> states, Consumer<ProtectedItem.Builder> changes) throws Exception {
    items.create(vmId, name, host);
    for (int i = 0; i < states.size(); i++) {
      items.transition(vmId, null, states.get(i), i == states.size() - 1 ? changes : b -> { });
    }
  }

  /** Whether a thread running {@code sweep} is blocked, on the cloud's monitor here. */
  private static boolean waitsForTheCloud(String sweep) {
    return Thread.getAllStackTraces().entrySet().stream().anyMatch(e ->
        e.getKey().getState() == Thread.State.BLOCKED && Arrays.stream(e.getValue())
            .anyMatch(frame -> frame.getMethodName().equals(sweep)));
  }

  private static Lease lease(StoreLocation store) {
    try (ControllerStore reader = ControllerStore.open(store)) {
      return reader.leaseRecords().current().orElseThrow();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits for {@code condition}; generous, for two loaded cores. */
  private static void await(BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(20);
    }
  }
}
