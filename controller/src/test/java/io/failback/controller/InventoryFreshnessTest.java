package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.NewVm;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes made on the host itself (a VM created, a VM stopped) show at the controller within
 * two heartbeats, without an agent restart (issue 11.3).
 */
class InventoryFreshnessTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void hostChangesReachTheControllerWithinTwoHeartbeats() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    SimulatedHypervisor host = new SimulatedHypervisor(fixture.hostDir);
    VirtualMachine created = host.createVm(new NewVm("db-01", 2, 512L << 20, 1,
        List.of("LAN"), List.of(8L << 20)));
    // No agent restart and no operator call: the agent's next heartbeat reports the change
    // (the deadline is generous for a loaded machine; the design bound is one heartbeat).
    awaitVm(fixture, created.getId(), PowerState.OFF);

    host.stopVm(fixture.vmId, true);
    awaitVm(fixture, fixture.vmId, PowerState.OFF);
  }

  private static void awaitVm(LifecycleFixture fixture, String vmId, PowerState state)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Host host = fixture.controller.server.registry().host("hv-01").orElseThrow();
      Optional<VirtualMachine> vm = host.getInventory().getVirtualMachinesList().stream()
          .filter(v -> v.getId().equals(vmId)).findFirst();
      if (vm.isPresent() && vm.get().getPowerState() == state) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "VM " + vmId + " never showed " + state + ": "
          + vm);
      Thread.sleep(10);
    }
  }
}
