package io.failback.agent.hyperv.powershell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The inventory of a Hyper-V host, read through a fake powershell replying with fixtures. */
class PowerShellInventoryTest extends FakePowerShellTestBase {
  @Test
  void zeroVms() throws IOException {
    fake.expect("inventory.ps1", "{}", "inventory-zero-vms.json");
    HostInventory inventory = driver.inventory();
    fake.assertAllCalled();
    assertEquals("hv-01.lab.example", inventory.getHostName());
    assertEquals(HypervisorKind.HYPER_V, inventory.getHypervisorKind());
    assertEquals("10.0.20348.0", inventory.getHypervisorVersion());
    assertEquals("D:\\Hyper-V", inventory.getDefaultVmPath());
    assertEquals(0, inventory.getVirtualMachinesCount());
    assertEquals("ca55298a-00ed-440a-84a7-c2f787ec321d", inventory.getVirtualSwitches(0).getId());
    assertEquals(2, inventory.getStoragePathsCount());
    assertEquals(107374182400L, inventory.getStoragePaths(1).getFreeBytes());
  }

  @Test
  void oneVmUnrolledFromItsArrayReadsAsAListOfOne() throws IOException {
    fake.expect("inventory.ps1", "{}", "inventory-one-vm.json");
    HostInventory inventory = driver.inventory();
    assertEquals(1, inventory.getVirtualMachinesCount());
    VirtualMachine vm = inventory.getVirtualMachines(0);
    assertEquals("cd06e882-a253-4dad-8a48-a523677cb340", vm.getId());
    assertEquals(PowerState.RUNNING, vm.getPowerState());
    assertEquals("hv-01.lab.example", vm.getHostName());
    assertEquals("Windows Server 2022 Datacenter", vm.getGuestOs());
    assertEquals(1, vm.getDisksCount());
    VirtualDisk disk = vm.getDisks(0);
    assertEquals("D:\\Hyper-V\\web-01\\Virtual Hard Disks\\web-01.vhdx", disk.getPath());
    assertEquals(DiskFormat.VHDX, disk.getFormat());
    assertEquals(DiskType.DYNAMIC, disk.getType());
    assertEquals(40L << 30, disk.getVirtualSizeBytes());
    assertEquals(32 << 20, disk.getBlockSizeBytes());
    assertEquals(9_667_870_720L, disk.getFileSizeBytes());
    assertEquals(4096, disk.getPhysicalSectorSize());
    assertEquals("00155D2FE91C", vm.getNetworkAdapters(0).getMacAddress());
    assertEquals(1, inventory.getVirtualSwitchesCount());
    assertEquals(1, inventory.getStoragePathsCount());
  }

  @Test
  void manyVmsWithEnumsAsNamesAndAsNumbers() throws IOException {
    fake.expect("inventory.ps1", "{}", "inventory-many-vms.json");
    HostInventory inventory = driver.inventory();
    assertEquals(List.of("app-01", "db-01", "odd-01", "web-01"), inventory
        .getVirtualMachinesList().stream().map(VirtualMachine::getName).toList());
    VirtualMachine app = inventory.getVirtualMachines(0);
    VirtualMachine db = inventory.getVirtualMachines(1);
    VirtualMachine odd = inventory.getVirtualMachines(2);
    VirtualMachine web = inventory.getVirtualMachines(3);

    assertEquals("", web.getGuestOs(), "a guest that does not say (no guestOs in the reply)");
    assertEquals(PowerState.OFF, web.getPowerState());
    assertEquals(PowerState.RUNNING, db.getPowerState());
    assertEquals("Running", db.getStateDetail());
    assertEquals(PowerState.OTHER, app.getPowerState());
    assertEquals("FastSaved", app.getStateDetail());
    assertEquals(PowerState.OTHER, odd.getPowerState());
    assertEquals("40000", odd.getStateDetail());

    assertEquals(DiskFormat.VHDX, db.getDisks(0).getFormat());
    assertEquals(DiskType.FIXED, db.getDisks(0).getType());
    assertEquals(DiskFormat.DISK_FORMAT_UNSPECIFIED, db.getDisks(1).getFormat(), "VHD");
    assertEquals(DiskType.DYNAMIC, db.getDisks(1).getType());
    assertEquals(1, db.getGeneration());
    assertEquals(4L << 30, db.getMemoryBytes());
    assertEquals(4, db.getProcessorCount());
    assertEquals(0, web.getMemoryBytes(), "absent from an older agent's script: unknown");
    assertEquals("", db.getNetworkAdapters(1).getSwitchName());

    assertEquals(SecureBoot.newBuilder().setEnabled(true)
        .setTemplateName("MicrosoftUEFICertificateAuthority").build(), web.getSecureBoot());
    assertEquals(SecureBoot.newBuilder().setEnabled(false).setTemplateName("MicrosoftWindows")
        .build(), app.getSecureBoot(), "OnOffState 1 as a number: Off");
    assertFalse(db.hasSecureBoot(), "generation 1: no UEFI firmware");
    assertFalse(odd.hasSecureBoot(), "absent from an older agent's script: unknown, not Off");

    assertEquals("99999999-8888-7777-6666-555555555555", app.getId());
    assertEquals(1, app.getDisksCount(), "5.1's {value, Count} wrapper is a list");
    assertEquals(DiskType.DIFFERENCING, app.getDisks(0).getType());
    assertEquals(0, odd.getDisksCount());

    assertEquals(List.of("External", "Private", "Internal"), inventory.getVirtualSwitchesList()
        .stream().map(s -> s.getSwitchType()).toList());
    assertEquals("dd53b4ca-89ed-4180-a8d0-3450c4415db5", inventory.getVirtualSwitches(1).getId());
    assertEquals(5000, inventory.getStoragePaths(0).getFreeBytes());
  }

  @Test
  void theScriptGoesIntactAndTheParametersApart() throws IOException {
    fake.expect("inventory.ps1", "{}", "inventory-zero-vms.json");
    driver.inventory();
    String script = fake.receivedScript(1);
    assertTrue(script.startsWith("# Prepended to every Failback script."), script);
    assertTrue(script.contains("Get-VMHardDiskDrive -VM $vm"), script);
    assertTrue(script.contains("if ($vm.Generation -eq 2) { $firmware = Get-VMFirmware -VM $vm"),
        script);
    assertTrue(script.contains("secureBoot = [string]$firmware.SecureBoot; secureBootTemplate"
        + " = [string]$firmware.SecureBootTemplate"), script);
  }

  @Test
  void cmdletErrorReachesTheOperator() throws IOException {
    fake.expect("inventory.ps1", "{}", "", "You do not have the required permission to complete"
        + " this task. Contact the administrator of the authorization policy for the computer"
        + " 'HV-01'.\n", 1);
    IOException e = assertThrows(IOException.class, driver::inventory);
    assertEquals("PowerShell failed to read the Hyper-V inventory (exit 1): You do not have the"
        + " required permission to complete this task. Contact the administrator of the"
        + " authorization policy for the computer 'HV-01'.", e.getMessage());
  }

  @Test
  void clixmlErrorsFromWindowsPowerShellAreReadable() throws IOException {
    fake.expect("inventory.ps1", "{}", "", "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\""
        + "http://schemas.microsoft.com/powershell/2004/04\"><S S=\"Error\">Get-VM : Hyper-V was"
        + " unable to find a virtual machine with name &quot;x&quot;._x000D__x000A_</S></Objs>",
        1);
    IOException e = assertThrows(IOException.class, driver::inventory);
    assertTrue(e.getMessage().endsWith(": Get-VM : Hyper-V was unable to find a virtual machine"
        + " with name \"x\"."), e.getMessage());
  }

  @Test
  void outputThatIsNotJsonIsAnErrorNamingIt() throws IOException {
    fake.expect("inventory.ps1", "{}", "WARNING: something\n{", "", 0);
    IOException e = assertThrows(IOException.class, driver::inventory);
    assertTrue(e.getMessage().startsWith("PowerShell printed no valid JSON to read the Hyper-V"
        + " inventory"), e.getMessage());
  }

  @Test
  void missingExecutableSaysWhichOptionToSet() {
    PowerShellHypervisor missing = new PowerShellHypervisor(PowerShellHypervisor.Options
        .defaults(dir.resolve("no-such-powershell").toString()));
    IOException e = assertThrows(IOException.class, missing::inventory);
    assertTrue(e.getMessage().contains("--powershell"), e.getMessage());
  }
}
