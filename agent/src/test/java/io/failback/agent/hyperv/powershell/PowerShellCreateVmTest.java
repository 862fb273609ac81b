package io.failback.agent.hyperv.powershell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.NewVm;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The firmware of a VM the PowerShell driver creates: a generation 2 VM gets the original's
 * Secure Boot setting when the controller sends one, and boots from its first disk first.
 */
class PowerShellCreateVmTest extends FakePowerShellTestBase {
  private static final String ID = "5b0e5f0c-6d44-4a8e-9f52-0d3c2b1a9e77";
  private static final String NAME = "Sérvér-数据库 O'Brien's";

  private static String params(int generation, String secureBoot) {
    return "{\"name\":\"" + NAME + "\",\"generation\":" + generation + ",\"memoryBytes\":"
        + "4294967296,\"processorCount\":2,\"switchNames\":[\"LAN\"],\"diskSizes\":"
        + "[10737418240]" + (secureBoot.isEmpty() ? "" : ",\"secureBoot\":" + secureBoot) + "}";
  }

  private VirtualMachine create(int generation, SecureBoot secureBoot) throws IOException {
    CreateVm.Builder create = CreateVm.newBuilder().setName(NAME).setGeneration(generation)
        .setMemoryBytes(4L << 30).setProcessorCount(2).addSwitchNames("LAN")
        .addDiskSizes(10L << 30);
    if (secureBoot != null) {
      create.setSecureBoot(secureBoot);
    }
    return driver.createVm(NewVm.of(create.build()));
  }

  @Test
  void secureBootOnWithTheUefiCaTemplateReachesTheScriptAsData() throws IOException {
    fake.expect("create-vm.ps1", params(2, "{\"enabled\":true,\"templateName\":"
        + "\"MicrosoftUEFICertificateAuthority\"}"), "{\"id\":\"" + ID + "\"}", "", 0);
    fake.expect("inventory.ps1", "{}", "inventory-created.json");
    VirtualMachine vm = create(2, SecureBoot.newBuilder().setEnabled(true)
        .setTemplateName("MicrosoftUEFICertificateAuthority").build());
    fake.assertAllCalled();
    assertEquals(SecureBoot.newBuilder().setEnabled(true)
        .setTemplateName("MicrosoftUEFICertificateAuthority").build(), vm.getSecureBoot(),
        "the created VM as the inventory reads it back");
  }

  @Test
  void secureBootOffIsSentAsOff() throws IOException {
    fake.expect("create-vm.ps1", params(2, "{\"enabled\":false,\"templateName\":"
        + "\"MicrosoftWindows\"}"), "{\"id\":\"" + ID + "\"}", "", 0);
    fake.expect("inventory.ps1", "{}", "inventory-created.json");
    create(2, SecureBoot.newBuilder().setTemplateName("MicrosoftWindows").build());
    fake.assertAllCalled();
  }

  @Test
  void anUnknownSettingAndAGeneration1VmSendNone() throws IOException {
    fake.expect("create-vm.ps1", params(2, ""), "{\"id\":\"" + ID + "\"}", "", 0);
    fake.expect("inventory.ps1", "{}", "inventory-created.json");
    fake.expect("create-vm.ps1", params(1, ""), "", "stop here\n", 1);
    create(2, null);
    assertThrows(IOException.class, () -> create(1, null));
    fake.assertAllCalled();
    assertThrows(IllegalArgumentException.class, () -> create(1, SecureBoot.newBuilder()
        .setEnabled(true).setTemplateName("MicrosoftWindows").build()),
        "a generation 1 VM has no UEFI firmware");
    assertThrows(IllegalArgumentException.class, () -> create(2, SecureBoot.newBuilder()
        .setEnabled(true).setTemplateName("Microsoft'; Remove-VM *").build()));
  }

  @Test
  void theScriptSetsTheFirmwareOfAGeneration2VmOnly() throws IOException {
    fake.expect("create-vm.ps1", params(2, "{\"enabled\":true,\"templateName\":\"X\"}"),
        "{\"id\":\"" + ID + "\"}", "", 0);
    fake.expect("inventory.ps1", "{}", "inventory-created.json");
    create(2, SecureBoot.newBuilder().setEnabled(true).setTemplateName("X").build());
    String script = fake.receivedScript(1);
    int firmware = script.indexOf("if ($p.generation -eq 2) {");
    assertTrue(firmware > 0, script);
    // The first disk added, not the network adapter New-VM -NoVHD boots first.
    assertTrue(script.contains("$drive = Add-VMHardDiskDrive -VM $vm -ControllerType SCSI"
        + " -ControllerNumber 0 -Path $file -Passthru"), script);
    assertTrue(script.contains("if ($index -eq 0) { $bootDisk = $drive }"), script);
    assertTrue(script.indexOf("Set-VMFirmware -VM $vm -FirstBootDevice $bootDisk") > firmware,
        script);
    assertTrue(script.indexOf("Set-VMFirmware -VM $vm -EnableSecureBoot $secureBoot"
        + " -SecureBootTemplate ([string]$p.secureBoot.templateName)") > firmware, script);
    assertTrue(script.contains("if ($null -ne $p.secureBoot) {"), script);
    assertFalse(script.contains("MicrosoftWindows"), "no template is written into the script");
  }
}
