package io.failback.agent.drill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.proto.v1.DiskFormat;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.CreateDrillVm;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.DeleteDrillVm;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CreateDrillVm and DeleteDrillVm on a simulated host, through the guarded driver. */
class DrillCommandsTest {
  private static final long MIB = 1L << 20;
  private static final SecureBoot UEFI_CA = SecureBoot.newBuilder().setEnabled(true)
      .setTemplateName("MicrosoftUEFICertificateAuthority").build();
  @TempDir Path dir;
  private GuardedHypervisor driver;
  private DrillCommands drills;
  private VirtualMachine source;

  @BeforeEach
  void host() throws Exception {
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("app-01", "Off",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.VHDX, 32 * MIB),
            new DiskSpec(DiskFormat.RAW, 16 * MIB)))));
    driver = new GuardedHypervisor(new SimulatedHypervisor(hostDir), dir.resolve("state"));
    drills = new DrillCommands(driver);
    source = driver.inventory().getVirtualMachines(0);
    Random random = new Random(5);
    for (int i = 0; i < 2; i++) {
      try (BlockDevice disk = BlockDevices.open(Path.of(source.getDisks(i).getPath()), true)) {
        // Three scattered MiB of data; the rest stays zero.
        for (long at : new long[] {0, 5 * MIB, 9 * MIB + 4096}) {
          byte[] data = new byte[(int) MIB];
          random.nextBytes(data);
          disk.write(at, ByteBuffer.wrap(data));
        }
        disk.flush();
      }
    }
  }

  @Test
  void aSeededDrillVmHoldsTheSourceBytesWritesOnlyTheDataAndIsTheOnlyVmDeleted()
      throws Exception {
    byte[][] before = {bytes(source.getDisks(0).getPath()), bytes(source.getDisks(1).getPath())};
    long modified = Files.getLastModifiedTime(Path.of(source.getDisks(1).getPath()))
        .toMillis();
    CommandResult.Builder result = CommandResult.newBuilder();
    drills.run(create(List.of(), true), result, driver::inventory);

    VirtualMachine drill = result.getInventory().getVirtualMachinesList().stream()
        .filter(v -> v.getId().equals(result.getCreatedVmId())).findFirst().orElseThrow();
    assertEquals("app-01-drill", drill.getName());
    assertEquals(0, drill.getNetworkAdaptersCount());
    assertEquals(UEFI_CA, drill.getSecureBoot(), "the CreateVm's Secure Boot setting");
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(before[i], bytes(drill.getDisks(i).getPath()), "drill disk " + i);
      assertArrayEquals(before[i], bytes(source.getDisks(i).getPath()), "source disk " + i);
    }
    assertEquals(modified, Files.getLastModifiedTime(Path.of(source.getDisks(1).getPath()))
        .toMillis(), "the source was written");
    // Four 1 MiB chunks per disk hold data (one write straddles two); only those are written,
    // so the dynamic VHDX stays thin.
    assertEquals(8 * MIB, result.getDrillSeed().getBytesWritten(), result.toString());
    assertTrue(Files.size(Path.of(drill.getDisks(1).getPath())) < 12 * MIB,
        "the drill disk is not thin: " + Files.size(Path.of(drill.getDisks(1).getPath())));

    IOException refused = assertThrows(IOException.class, () -> drills.run(delete(
        source.getId()), CommandResult.newBuilder(), driver::inventory));
    assertTrue(refused.getMessage().contains("was not created by this agent for a failback"
        + " drill"), refused.getMessage());
    drills.run(delete(drill.getId()), CommandResult.newBuilder(), driver::inventory);
    assertEquals(List.of(source.getId()), driver.inventory().getVirtualMachinesList().stream()
        .map(VirtualMachine::getId).toList());
    assertFalse(Files.exists(Path.of(drill.getDisks(0).getPath()).getParent()));
    assertFalse(driver.drills().isDrillVm(drill.getId()));
  }

  @Test
  void aSeedThatCannotBeReadLeavesNoVmBehind() throws Exception {
    driver.startVm(source.getId());
    IOException running = assertThrows(IOException.class, () -> drills.run(
        create(List.of(), true), CommandResult.newBuilder(), driver::inventory));
    assertTrue(running.getMessage().contains("must be Off"), running.getMessage());
    driver.stopVm(source.getId(), true);
    IOException sizes = assertThrows(IOException.class, () -> drills.run(create(List.of(), true)
        .toBuilder().setCreateDrillVm(CreateDrillVm.newBuilder(create(List.of(), true)
            .getCreateDrillVm()).setVm(spec(List.of()).clearDiskSizes().addDiskSizes(MIB))).build(),
        CommandResult.newBuilder(), driver::inventory));
    assertTrue(sizes.getMessage().contains("the drill VM asks for"), sizes.getMessage());
    IOException wired = assertThrows(IOException.class, () -> drills.run(
        create(List.of("LAN"), true), CommandResult.newBuilder(), driver::inventory));
    assertTrue(wired.getMessage().contains("no network adapter"), wired.getMessage());
    assertEquals(1, driver.inventory().getVirtualMachinesCount(), "a VM was left behind");
  }

  private Command create(List<String> switches, boolean seeded) {
    CreateDrillVm.Builder create = CreateDrillVm.newBuilder().setVm(spec(switches));
    if (seeded) {
      create.setSeedFromVmId(source.getId()).setGeneration(1);
    }
    return Command.newBuilder().setCreateDrillVm(create).build();
  }

  private CreateVm.Builder spec(List<String> switches) {
    return CreateVm.newBuilder().setName("app-01-drill").setGeneration(2)
        .setMemoryBytes(512 * MIB).setProcessorCount(1).setSecureBoot(UEFI_CA)
        .addAllSwitchNames(switches)
        .addAllDiskSizes(source.getDisksList().stream().map(d -> d.getVirtualSizeBytes())
            .toList());
  }

  private static Command delete(String vmId) {
    return Command.newBuilder().setDeleteDrillVm(DeleteDrillVm.newBuilder().setVmId(vmId))
        .build();
  }

  private static byte[] bytes(String disk) throws Exception {
    try (BlockDevice device = BlockDevices.open(Path.of(disk), false)) {
      ByteBuffer buffer = ByteBuffer.allocate((int) device.size());
      device.read(0, buffer);
      return buffer.array();
    }
  }
}
