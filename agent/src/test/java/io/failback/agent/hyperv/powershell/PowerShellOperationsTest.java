package io.failback.agent.hyperv.powershell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.ChangeTracking.ByteRange;
import io.failback.agent.hyperv.NewVm;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** VM operations and disk checks of the PowerShell driver against a fake powershell. */
class PowerShellOperationsTest extends FakePowerShellTestBase {
  private static final String VM = "cd06e882-a253-4dad-8a48-a523677cb340";
  private static final String DISK = "D:\\Hyper-V\\web-01\\Virtual Hard Disks\\web-01.vhdx";
  private static final String CHECK_PARAMS = "{\"vmId\":\"" + VM + "\",\"path\":\""
      + DISK.replace("\\", "\\\\") + "\"}";

  @Test
  void stopAsksForAGuestShutdownWithTheTimeoutThenChecksTheVmIsOff() throws IOException {
    fake.expect("stop-vm.ps1", "{\"vmId\":\"" + VM + "\",\"turnOff\":false,\"timeoutSeconds\":90}",
        "{\"state\":\"Off\",\"turnedOff\":true,\"reason\":\"the guest did not shut down within"
            + " 90 s\"}", "", 0);
    fake.expect("stop-vm.ps1", "{\"vmId\":\"" + VM + "\",\"turnOff\":true,\"timeoutSeconds\":90}",
        "{\"state\":3,\"turnedOff\":true,\"reason\":\"\"}", "", 0);
    driver.stopVm(VM, false);
    driver.stopVm(VM, true);
    fake.assertAllCalled();
  }

  @Test
  void deleteVmPassesTheIdAsDataAndCarriesTheCmdletMessage() throws IOException {
    fake.expect("delete-vm.ps1", "{\"vmId\":\"" + VM + "\"}",
        "{\"found\":true,\"removed\":[\"" + DISK.replace("\\", "\\\\") + "\"]}", "", 0);
    fake.expect("delete-vm.ps1", "{\"vmId\":\"" + VM + "\"}",
        "{\"found\":true,\"removed\":[],\"kept\":\"E:\\\\sql\\\\data.vhdx\"}", "", 0);
    fake.expect("delete-vm.ps1", "{\"vmId\":\"" + VM + "\"}",
        "{\"found\":true,\"removed\":[],\"kept\":[{\"path\":1}]}", "", 0);
    fake.expect("delete-vm.ps1", "{\"vmId\":\"" + VM + "\"}", "",
        "Remove-Item : The process cannot access the file because it is being used.\n", 1);
    driver.deleteVm(VM);
    driver.deleteVm(VM);
    IOException odd = assertThrows(IOException.class, () -> driver.deleteVm(VM));
    assertTrue(odd.getMessage().contains("kept with a non-text entry"), odd.getMessage());
    IOException e = assertThrows(IOException.class, () -> driver.deleteVm(VM));
    assertEquals("PowerShell failed to delete VM " + VM + " (exit 1): Remove-Item : The process"
        + " cannot access the file because it is being used.", e.getMessage());
    fake.assertAllCalled();
  }

  @Test
  void stopThatLeavesTheVmRunningFails() throws IOException {
    fake.expect("stop-vm.ps1", "{\"vmId\":\"" + VM + "\",\"turnOff\":true,\"timeoutSeconds\":90}",
        "{\"state\":\"Stopping\",\"turnedOff\":true}", "", 0);
    IOException e = assertThrows(IOException.class, () -> driver.stopVm(VM, true));
    assertEquals("VM " + VM + " is Stopping afterwards, expected Off", e.getMessage());
  }

  @Test
  void startFailureCarriesTheCmdletMessage() throws IOException {
    fake.expect("start-vm.ps1", "{\"vmId\":\"" + VM + "\"}", "",
        "Start-VM : 'web-01' failed to start. Not enough memory in the system to start the"
            + " virtual machine web-01.\n", 1);
    IOException e = assertThrows(IOException.class, () -> driver.startVm(VM));
    assertEquals("PowerShell failed to start VM " + VM + " (exit 1): Start-VM : 'web-01' failed"
        + " to start. Not enough memory in the system to start the virtual machine web-01.",
        e.getMessage());
  }

  @Test
  void createVmPassesNamesWithQuotesAndNonAsciiAsDataNotScript() throws IOException {
    String name = "Sérvér-数据库 O'Brien's";
    String id = "5b0e5f0c-6d44-4a8e-9f52-0d3c2b1a9e77";
    fake.expect("create-vm.ps1", "{\"name\":\"" + name + "\",\"generation\":2,"
        + "\"memoryBytes\":4294967296,\"processorCount\":2,\"switchNames\":[\"LAN\","
        + "\"Back end ü\"],\"diskSizes\":[10737418240]}", "{\"id\":\"" + id + "\"}", "", 0);
    fake.expect("inventory.ps1", "{}", "inventory-created.json");
    VirtualMachine vm = driver.createVm(new NewVm(name, 2, 4L << 30, 2,
        List.of("LAN", "Back end ü"), List.of(10L << 30)));
    fake.assertAllCalled();
    assertEquals(id, vm.getId());
    assertEquals(name, vm.getName());
    assertEquals(PowerState.OFF, vm.getPowerState());
    assertEquals(List.of("LAN", "Back end ü"), vm.getNetworkAdaptersList().stream()
        .map(n -> n.getSwitchName()).toList());
    assertEquals(10L << 30, vm.getDisks(0).getVirtualSizeBytes());
    String script = fake.receivedScript(1);
    assertFalse(script.contains("O'Brien") || script.contains("数据库"), script);
  }

  @Test
  void createVmWithAMissingSwitchFailsWithTheScriptsMessage() throws IOException {
    fake.expect("create-vm.ps1", "{\"name\":\"x\",\"generation\":1,\"memoryBytes\":2097152,"
        + "\"processorCount\":1,\"switchNames\":[\"Nope\"],\"diskSizes\":[]}", "",
        "virtual switch 'Nope' does not exist on this host\n", 1);
    IOException e = assertThrows(IOException.class,
        () -> driver.createVm(new NewVm("x", 1, 2L << 20, 1, List.of("Nope"), List.of())));
    assertTrue(e.getMessage().endsWith("(exit 1): virtual switch 'Nope' does not exist on this"
        + " host"), e.getMessage());
  }

  @Test
  void createVmRefusesNamesWindowsCannotUseAsAFolder() {
    assertThrows(IllegalArgumentException.class,
        () -> new NewVm("a\"b", 2, 2L << 20, 1, List.of(), List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> new NewVm("a:b", 2, 2L << 20, 1, List.of(), List.of()));
  }

  @Test
  void aDiskOfAnOffVmThatIsNotAttachedMayBeWritten() throws IOException {
    fake.expect("check-disk.ps1", CHECK_PARAMS, disk("Off", 0, true, false, "VHDX", "Dynamic",
        ""), "", 0);
    driver.checkDiskAccess(VM, DISK, true);
    fake.assertAllCalled();
  }

  @Test
  void attachedDiskRefused() throws IOException {
    fake.expect("check-disk.ps1", CHECK_PARAMS, disk("Off", 0, true, true, "VHDX", "Fixed", ""),
        "", 0);
    IOException e = assertThrows(IOException.class, () -> driver.checkDiskAccess(VM, DISK, true));
    assertEquals("disk " + DISK + " is attached (mounted on the host or in use): Dismount-VHD"
        + " it before it is written", e.getMessage());
  }

  @Test
  void differencingDiskRefused() throws IOException {
    fake.expect("check-disk.ps1", CHECK_PARAMS, disk("Off", 0, true, false, "VHDX", 4,
        "D:\\parent.vhdx"), "", 0);
    IOException e = assertThrows(IOException.class, () -> driver.checkDiskAccess(VM, DISK, false));
    assertEquals("disk " + DISK + " of VM 'web-01' is a differencing disk (parent"
        + " D:\\parent.vhdx): delete the VM's checkpoints to merge them first", e.getMessage());
  }

  @Test
  void checkpointChainRefused() throws IOException {
    fake.expect("check-disk.ps1", CHECK_PARAMS, disk("Off", 2, true, false, "VHDX", "Dynamic",
        ""), "", 0);
    IOException e = assertThrows(IOException.class, () -> driver.checkDiskAccess(VM, DISK, true));
    assertTrue(e.getMessage().startsWith("VM 'web-01' has 2 checkpoint(s)"), e.getMessage());
  }

  @Test
  void runningVmRefusedEvenForReading() throws IOException {
    fake.expect("check-disk.ps1", CHECK_PARAMS, disk(2, 0, true, true, "VHDX", "Dynamic", ""), "",
        0);
    IOException e = assertThrows(IOException.class, () -> driver.checkDiskAccess(VM, DISK, false));
    assertEquals("VM 'web-01' is Running; it must be Off before its disk " + DISK + " is read",
        e.getMessage());
  }

  @Test
  void oldVhdFormatRefused() throws IOException {
    fake.expect("check-disk.ps1", CHECK_PARAMS, disk("Off", 0, true, false, 2, "Dynamic", ""), "",
        0);
    IOException e = assertThrows(IOException.class, () -> driver.checkDiskAccess(VM, DISK, true));
    assertTrue(e.getMessage().contains("only VHDX disks"), e.getMessage());
  }

  @Test
  void changedRangesAreSortedAndMerged() throws IOException {
    fake.expect("changed-ranges.ps1", "{\"path\":\"D:\\\\d.vhdx\",\"limitId\":\"rct:1\","
        + "\"byteOffset\":0,\"byteLength\":1048576}", "{\"available\":true,\"ranges\":["
        + "{\"offset\":8192,\"length\":4096},{\"offset\":0,\"length\":4096},"
        + "{\"offset\":4096,\"length\":1024}]}", "", 0);
    Optional<List<ByteRange>> ranges = fake.changeTracking()
        .changedSince("D:\\d.vhdx", "rct:1", 1 << 20);
    assertEquals(Optional.of(List.of(new ByteRange(0, 5120), new ByteRange(8192, 4096))), ranges);
  }

  @Test
  void anEmptyRangeIsNothingChangedNotAnUntrustedAnswer() throws IOException {
    fake.expect("changed-ranges.ps1", "{\"path\":\"D:\\\\d.vhdx\",\"limitId\":\"rct:1\","
        + "\"byteOffset\":0,\"byteLength\":1048576}", "{\"available\":true,\"ranges\":["
        + "{\"offset\":0,\"length\":0},{\"offset\":65536,\"length\":4096}]}", "", 0);
    assertEquals(Optional.of(List.of(new ByteRange(65536, 4096))), fake.changeTracking()
        .changedSince("D:\\d.vhdx", "rct:1", 1 << 20));
    fake.expect("changed-ranges.ps1", "{\"path\":\"D:\\\\d.vhdx\",\"limitId\":\"rct:1\","
        + "\"byteOffset\":0,\"byteLength\":1048576}", "{\"available\":true,\"ranges\":"
        + "[{\"offset\":0,\"length\":-4096}]}", "", 0);
    assertEquals(Optional.empty(), fake.changeTracking()
        .changedSince("D:\\d.vhdx", "rct:1", 1 << 20));
    fake.assertAllCalled();
  }

  @Test
  void changedRangesUnknownWhenTheReferencePointIsGoneOrMissing() throws IOException {
    fake.expect("changed-ranges.ps1", "{\"path\":\"D:\\\\d.vhdx\",\"limitId\":\"rct:gone\","
        + "\"byteOffset\":0,\"byteLength\":1048576}", "{\"available\":false,\"reason\":"
        + "\"GetVirtualDiskChanges returned 32773\"}", "", 0);
    var tracking = fake.changeTracking();
    assertEquals(Optional.empty(), tracking.changedSince("D:\\d.vhdx", "rct:gone", 1 << 20));
    assertEquals(Optional.empty(), tracking.changedSince("D:\\d.vhdx", "", 1 << 20));
    fake.assertAllCalled();
  }

  @Test
  void changedRangesPastTheDiskAreNotTrusted() throws IOException {
    fake.expect("changed-ranges.ps1", "{\"path\":\"D:\\\\d.vhdx\",\"limitId\":\"rct:1\","
        + "\"byteOffset\":0,\"byteLength\":4096}", "{\"available\":true,\"ranges\":"
        + "{\"offset\":0,\"length\":8192}}", "", 0);
    assertEquals(Optional.empty(), fake.changeTracking()
        .changedSince("D:\\d.vhdx", "rct:1", 4096));
  }

  private static String disk(Object state, int checkpoints, boolean connected, boolean attached,
      Object format, Object type, String parent) {
    return "{\"vmName\":\"web-01\",\"vmState\":" + json(state) + ",\"checkpoints\":"
        + checkpoints + ",\"connected\":" + connected + ",\"attached\":" + attached
        + ",\"format\":" + json(format) + ",\"type\":" + json(type) + ",\"parentPath\":\""
        + parent.replace("\\", "\\\\") + "\"}";
  }

  private static String json(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }
}
