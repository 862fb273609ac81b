package io.failback.agent.hyperv.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuardedHypervisorTest {
  @TempDir Path dir;

  private GuardedHypervisor host() throws IOException {
    return new GuardedHypervisor(new SimulatedHypervisor(dir.resolve("host")),
        dir.resolve("state"));
  }

  private VirtualMachine vm(GuardedHypervisor host) throws IOException {
    return host.inventory().getVirtualMachines(0);
  }

  @Test
  void inconsistentVmRefusesToStartUntilClearedEvenAfterARestart() throws Exception {
    SimulatedHostSeeder.seed(dir.resolve("host"), "hv-01", List.of(new VmSpec("app-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 1 << 20)))));
    GuardedHypervisor host = host();
    String id = vm(host).getId();
    host.marks().mark(id, "sync session s-1 is writing disk d");

    GuardedHypervisor restarted = host();
    assertEquals("sync session s-1 is writing disk d", vm(restarted).getInconsistentReason());
    IOException refused = assertThrows(IOException.class, () -> restarted.startVm(id));
    assertTrue(refused.getMessage().contains("INCONSISTENT"), refused.getMessage());
    assertEquals(PowerState.OFF, vm(restarted).getPowerState());

    restarted.marks().clear(id);
    restarted.startVm(id);
    assertEquals(PowerState.RUNNING, vm(restarted).getPowerState());
    assertEquals("", vm(restarted).getInconsistentReason());
    restarted.stopVm(id, false);
    assertEquals(PowerState.OFF, vm(restarted).getPowerState());
  }

  @Test
  void unknownVmAndHostileIdsAreErrors() throws Exception {
    SimulatedHostSeeder.seed(dir.resolve("host"), "hv-01", List.of());
    GuardedHypervisor host = host();
    assertThrows(IOException.class, () -> host.startVm("0f0f0f0f-0000-0000-0000-000000000000"));
    assertThrows(IOException.class, () -> host.marks().mark("../../etc/passwd", "x"));
  }
}
