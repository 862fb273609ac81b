package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.ForwardingHypervisor;
import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.sync.SyncProgress;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.Registered;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * While Hyper-V makes a read point it reports the VM's disks as the checkpoint's new files: a
 * source session of the VM's other disk that starts just then does not find its disk, waits
 * for the read point being made, finds it, and shares it.
 */
class ReadPointCreationWindowTest extends SyncGrpcTestBase {
  @Test
  void aSessionStartingWhileTheReadPointIsMadeWaitsForItAndSharesIt() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("app-01", "Running",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 8L * MIB),
            new DiskSpec(DiskFormat.RAW, 4L * MIB)))));
    List<VirtualDisk> disks = new SimulatedHypervisor(hostDir).inventory().getVirtualMachines(0)
        .getDisksList();
    writeAll(Path.of(disks.get(0).getPath()), randomImage(8L * MIB, 1));
    writeAll(Path.of(disks.get(1).getPath()), randomImage(4L * MIB, 2));
    CheckpointingHost host = new CheckpointingHost(new SimulatedHypervisor(hostDir));
    cleanup.register(AgentClient.start(AgentConfig.withDefaults("localhost:" + controller.port(),
            controller.pki.agent("hv-01"), hostDir)
            .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200)), host,
        Clock.systemUTC(), new ControlSession.SessionListener() {
          @Override
          public void registered(Registered registered) {
            registrations.add(registered);
          }
        }));
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent never registered");

    CompletableFuture<SyncOutcome> first = copy(controller, disks.get(0), 0);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!host.creating) {
      assertTrue(System.nanoTime() < deadline, "no read point is being made");
      Thread.sleep(5);
    }
    CompletableFuture<SyncOutcome> second = copy(controller, disks.get(1), 1);
    for (int i = 0; i < 2; i++) {
      SyncOutcome outcome = (i == 0 ? first : second).get(60, TimeUnit.SECONDS);
      assertTrue(outcome.digestsMatch(), outcome.toString());
      assertArrayEquals(readAll(Path.of(disks.get(i).getPath())),
          readAll(dir.resolve("cloud-" + i + ".raw")));
    }
    assertTrue(host.hiddenFromASession, "the second session looked while it was being made");
  }

  private CompletableFuture<SyncOutcome> copy(ControllerFixture controller, VirtualDisk disk,
      int index) throws Exception {
    Path cloud = dir.resolve("cloud-" + index + ".raw");
    BlockDevices.createRawSparse(cloud, disk.getVirtualSizeBytes()).close();
    BlockDevice local = BlockDevices.open(cloud, true);
    return controller.server.syncs().sync("hv-01", StartSync.newBuilder()
            .setParameters(parameters("window-" + index, SyncMode.FULL,
                disk.getVirtualSizeBytes()))
            .setAgentRole(SyncRole.SOURCE).setDiskPath(disk.getPath()).build(),
        local, Map.of(), checkpoint -> {}, new SyncProgress())
        .whenComplete((outcome, failure) -> {
          try {
            local.close();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  /**
   * The simulated host, reporting a VM's disks under other names while a read point is being
   * made, as Hyper-V does; the read point is made only once a sync session has seen that.
   */
  private static final class CheckpointingHost extends ForwardingHypervisor {
    private final CountDownLatch seenBySession = new CountDownLatch(1);
    volatile boolean creating;
    volatile boolean hiddenFromASession;

    CheckpointingHost(HypervisorDriver inner) {
      super(inner);
    }

    @Override
    public ReadPoint createReadPoint(String vmId) throws IOException {
      creating = true;
      try {
        if (!seenBySession.await(20, TimeUnit.SECONDS)) {
          throw new IOException("no session looked for its disk while the read point was made");
        }
        return super.createReadPoint(vmId);
      } catch (InterruptedException e) {
        throw new IOException(e);
      } finally {
        creating = false;
      }
    }

    @Override
    public HostInventory inventory() throws IOException {
      HostInventory inventory = super.inventory();
      if (!creating) {
        return inventory;
      }
      if (Thread.currentThread().getName().equals("agent-sync")) {
        hiddenFromASession = true;
        seenBySession.countDown();
      }
      HostInventory.Builder checkpointed = inventory.toBuilder();
      for (VirtualMachine.Builder vm : checkpointed.getVirtualMachinesBuilderList()) {
        for (VirtualDisk.Builder disk : vm.getDisksBuilderList()) {
          disk.setPath(disk.getPath() + ".avhdx");
        }
      }
      return checkpointed.build();
    }
  }
}
