package io.failback.agent.hyperv.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.NewVm;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.disk.VhdxInfo;
import io.failback.common.disk.VhdxType;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.NetworkAdapter;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** createVm and the disk-access checks on a simulated host. */
class SimulatedCreateVmTest {
  private static final long MIB = 1L << 20;

  @TempDir Path tmp;
  private Path host;
  private SimulatedHypervisor hypervisor;

  @BeforeEach
  void seed() throws IOException {
    host = tmp.resolve("hv-02");
    SimulatedHostSeeder.demoHost(host, "hv-02.lab.example");
    hypervisor = new SimulatedHypervisor(host);
  }

  @Test
  void createsAnOffVmWithEmptyDynamicVhdxDisksAndConnectedAdapters() throws IOException {
    String name = "Sérvér-数据库 O'Brien's";
    VirtualMachine vm = hypervisor.createVm(new NewVm(name, 1, 512 * MIB, 2,
        List.of("Backend", "LAN"), List.of(64 * MIB, 3 * 1024 * MIB)));

    assertEquals(name, vm.getName());
    assertEquals(1, vm.getGeneration());
    assertEquals(PowerState.OFF, vm.getPowerState());
    assertEquals(List.of("Backend", "LAN"), vm.getNetworkAdaptersList().stream()
        .map(NetworkAdapter::getSwitchName).toList());
    assertEquals(List.of("Network Adapter", "Network Adapter 2"), vm.getNetworkAdaptersList()
        .stream().map(NetworkAdapter::getName).toList());
    assertEquals(2, vm.getDisksCount());
    for (int i = 0; i < 2; i++) {
      Path disk = Path.of(vm.getDisks(i).getPath());
      assertTrue(disk.startsWith(host.toAbsolutePath().resolve("vms")), disk.toString());
      assertEquals(DiskFormat.VHDX, vm.getDisks(i).getFormat());
      assertEquals(DiskType.DYNAMIC, vm.getDisks(i).getType());
      VhdxInfo info = VhdxInfo.read(disk);
      assertEquals(VhdxType.DYNAMIC, info.type());
      assertEquals(i == 0 ? 64 * MIB : 3L << 30, info.virtualSize());
    }
    // Empty and sparse: the disk reads as zeros and the file holds only its structures.
    try (BlockDevice device = BlockDevices.open(Path.of(vm.getDisks(1).getPath()), false)) {
      ByteBuffer block = ByteBuffer.allocate(4096);
      device.read(device.size() - 4096, block);
      assertTrue(isZero(block.array()));
    }
    assertTrue(Files.size(Path.of(vm.getDisks(1).getPath())) < 16 * MIB);
    assertEquals(vm, hypervisor.inventory().getVirtualMachinesList().stream()
        .filter(v -> v.getId().equals(vm.getId())).findFirst().orElseThrow());
    assertEquals(3, hypervisor.inventory().getVirtualMachinesCount());
  }

  @Test
  void aGeneration2VmKeepsTheSecureBootSettingItWasCreatedWithInItsDefinition()
      throws IOException {
    VirtualMachine linux = hypervisor.createVm(new NewVm("linux-01", 2, 512 * MIB, 1,
        List.of(), List.of(4 * MIB), new NewVm.SecureBoot(true,
            "MicrosoftUEFICertificateAuthority")));
    VirtualMachine unsigned = hypervisor.createVm(new NewVm("unsigned-01", 2, 512 * MIB, 1,
        List.of(), List.of(4 * MIB), new NewVm.SecureBoot(false, "MicrosoftWindows")));
    VirtualMachine unknown = hypervisor.createVm(new NewVm("unknown-01", 2, 512 * MIB, 1,
        List.of(), List.of(4 * MIB)));

    assertEquals(SecureBoot.newBuilder().setEnabled(true)
        .setTemplateName("MicrosoftUEFICertificateAuthority").build(), linux.getSecureBoot());
    assertEquals(SecureBoot.newBuilder().setEnabled(false).setTemplateName("MicrosoftWindows")
        .build(), unsigned.getSecureBoot());
    assertFalse(unknown.hasSecureBoot(), "not known: nothing recorded, nothing reported");
    assertEquals(linux.getSecureBoot(), vm("linux-01").getSecureBoot(), "read back");
    assertTrue(Files.readString(Path.of(linux.getDisks(0).getPath()).resolveSibling("vm.json"))
        .contains("\"templateName\": \"MicrosoftUEFICertificateAuthority\""));
  }

  @Test
  void aSecureBootSettingOnAGeneration1VmOrWithAnOddTemplateIsRefused() throws IOException {
    assertThrows(IllegalArgumentException.class, () -> new NewVm("x", 1, 2 * MIB, 1, List.of(),
        List.of(), new NewVm.SecureBoot(true, "MicrosoftWindows")));
    assertThrows(IllegalArgumentException.class, () -> new NewVm.SecureBoot(true, "a b"));
    VirtualMachine web = vm("web-01");
    SimulatedHostSeeder.secureBoot(host, "web-01", true, "Microsoft Windows");
    IOException e = assertThrows(IOException.class, () -> hypervisor.inventory());
    assertTrue(e.getMessage().contains("Secure Boot template 'Microsoft Windows'"),
        e.getMessage());
    SimulatedHostSeeder.secureBoot(host, "web-01", false, "MicrosoftWindows");
    assertFalse(vm("web-01").getSecureBoot().getEnabled());
    assertEquals(web.getId(), vm("web-01").getId());
  }

  @Test
  void missingSwitchCreatesNothing() throws IOException {
    long foldersBefore = folders();
    IOException e = assertThrows(IOException.class, () -> hypervisor.createVm(new NewVm("x", 2,
        2 * MIB, 1, List.of("LAN", "Storage"), List.of(MIB * 4))));
    assertEquals("virtual switch 'Storage' does not exist on this host", e.getMessage());
    assertEquals(foldersBefore, folders());
  }

  @Test
  void diskAccessInPlaceNeedsTheVmOff() throws IOException {
    VirtualMachine web = vm("web-01");
    String disk = web.getDisks(0).getPath();
    IOException e = assertThrows(IOException.class,
        () -> hypervisor.checkDiskAccess(web.getId(), disk, true));
    assertEquals("VM web-01 is Running; it must be Off before its disk " + disk
        + " is written", e.getMessage());
    IOException read = assertThrows(IOException.class,
        () -> hypervisor.checkDiskAccess(web.getId(), disk, false));
    assertEquals("VM web-01 is Running; it must be Off before its disk " + disk
        + " is read in place", read.getMessage());
    hypervisor.stopVm(web.getId(), false);
    hypervisor.checkDiskAccess(web.getId(), disk, false);
    hypervisor.stopVm(web.getId(), false);
    hypervisor.checkDiskAccess(web.getId(), disk, true);
    assertThrows(IOException.class,
        () -> hypervisor.checkDiskAccess(web.getId(), vm("db-01").getDisks(0).getPath(), true));
  }

  private VirtualMachine vm(String name) throws IOException {
    return hypervisor.inventory().getVirtualMachinesList().stream()
        .filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
  }

  private long folders() throws IOException {
    try (Stream<Path> folders = Files.list(host.resolve("vms"))) {
      return folders.count();
    }
  }

  private static boolean isZero(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
