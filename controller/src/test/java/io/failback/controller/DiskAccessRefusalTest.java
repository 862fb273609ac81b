package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.ForwardingHypervisor;
import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.agent.hyperv.state.InconsistentVms;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.sync.SyncProgress;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.Registered;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The agent asks its hypervisor driver before it opens a disk for a sync: a refusal (on Hyper-V:
 * the VM runs, the disk is attached, a checkpoint chain) reaches the controller with the driver's
 * reason, and the disk is neither opened nor marked inconsistent.
 */
class DiskAccessRefusalTest extends SyncGrpcTestBase {
  private static final String REASON = "is attached (mounted on the host or in use)";

  @Test
  void theDriversRefusalEndsTheSyncBeforeAnythingIsWritten() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("app-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 4L * MIB)))));
    AgentConfig config = AgentConfig.withDefaults("localhost:" + controller.port(),
        controller.pki.agent("hv-01"), hostDir)
        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200));
    cleanup.register(AgentClient.start(config, new Refusing(new SimulatedHypervisor(hostDir)),
        Clock.systemUTC(), new ControlSession.SessionListener() {
          @Override
          public void registered(Registered registered) {
            registrations.add(registered);
          }
        }));
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent never registered");
    VirtualMachine vm = new SimulatedHypervisor(hostDir).inventory().getVirtualMachines(0);
    String disk = vm.getDisks(0).getPath();

    Path cloudDisk = dir.resolve("cloud.raw");
    BlockDevices.createRawSparse(cloudDisk, 4L * MIB).close();
    try (BlockDevice local = BlockDevices.open(cloudDisk, false)) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> controller.server.syncs().sync("hv-01", StartSync.newBuilder()
                  .setParameters(parameters("refused-1", SyncMode.FULL, 4L * MIB))
                  .setAgentRole(SyncRole.TARGET).setDiskPath(disk).build(),
              local, Map.of(), checkpoint -> {}, new SyncProgress()).get(60, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains(disk + " " + REASON),
          e.getCause().getMessage());
    }
    assertEquals(Optional.empty(), new InconsistentVms(config.stateDir()).reason(vm.getId()));
  }

  /** The simulated host, except that every disk is in use, as a real host may say. */
  private static final class Refusing extends ForwardingHypervisor {
    Refusing(HypervisorDriver inner) {
      super(inner);
    }

    @Override
    public void checkDiskAccess(String vmId, String diskPath, boolean write) throws IOException {
      throw new IOException("disk " + diskPath + " " + REASON);
    }
  }
}
