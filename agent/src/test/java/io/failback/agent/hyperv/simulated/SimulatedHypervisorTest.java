package io.failback.agent.hyperv.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.failback.common.disk.DiskFormatException;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.NetworkAdapter;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.StoragePath;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.failback.proto.v1.VirtualSwitch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SimulatedHypervisorTest {
  private static final long MIB = 1L << 20;
  private static final String GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  @TempDir Path tmp;
  private Path host;
  private SimulatedHypervisor hypervisor;

  @BeforeEach
  void seedDemoHost() throws IOException {
    host = tmp.resolve("hv-01");
    SimulatedHostSeeder.demoHost(host, "hv-01.lab.example");
    hypervisor = new SimulatedHypervisor(host);
  }

  @Test
  void demoHostInventory() throws IOException {
    HostInventory inventory = hypervisor.inventory();

    Path vms = host.toAbsolutePath().resolve("vms");
    assertEquals("hv-01.lab.example", inventory.getHostName());
    assertEquals(HypervisorKind.SIMULATED, inventory.getHypervisorKind());
    assertEquals(SimulatedHostSeeder.HYPERVISOR_VERSION, inventory.getHypervisorVersion());
    assertEquals("", inventory.getAgentVersion());
    assertEquals(vms.toString(), inventory.getDefaultVmPath());
    assertEquals(0, inventory.getEncryptionCertificatesCount());
    JsonArray switchJson = Json.read(host.resolve("host.json")).getAsJsonArray("virtualSwitches");
    assertEquals(
        List.of(
            sw("LAN", switchJson.get(0).getAsJsonObject().get("id").getAsString(), "External"),
            sw("Backend", switchJson.get(1).getAsJsonObject().get("id").getAsString(), "Private")),
        inventory.getVirtualSwitchesList());
    inventory.getVirtualSwitchesList().forEach(s -> assertTrue(s.getId().matches(GUID)));

    StoragePath storage = inventory.getStoragePaths(0);
    assertEquals(1, inventory.getStoragePathsCount());
    assertEquals(vms.toString(), storage.getPath());
    assertTrue(storage.getFreeBytes() > 0, storage::toString);
    assertTrue(storage.getTotalBytes() >= storage.getFreeBytes(), storage::toString);

    VirtualMachine db = inventory.getVirtualMachines(0);
    VirtualMachine web = inventory.getVirtualMachines(1);
    assertEquals(2, inventory.getVirtualMachinesCount());
    assertEquals(
        VirtualMachine.newBuilder()
            .setId(vmId("db-01"))
            .setName("db-01")
            .setGeneration(2)
            .setPowerState(PowerState.OFF)
            .setStateDetail("Off")
            .setHostName("hv-01.lab.example")
            .addDisks(vhdx(vms.resolve("db-01/db-01-disk0.vhdx"), 2L << 30))
            .addDisks(
                VirtualDisk.newBuilder()
                    .setPath(vms.resolve("db-01/db-01-disk1.raw").toString())
                    .setFileSizeBytes(512 * MIB)
                    .setFormat(DiskFormat.RAW)
                    .setType(DiskType.FIXED)
                    .setVirtualSizeBytes(512 * MIB)
                    .setLogicalSectorSize(512)
                    .setPhysicalSectorSize(512))
            .addNetworkAdapters(nic("Network Adapter", "LAN", mac("db-01", 0)))
            .addNetworkAdapters(nic("Network Adapter 2", "Backend", mac("db-01", 1)))
            .build(),
        db);
    assertEquals(
        VirtualMachine.newBuilder()
            .setId(vmId("web-01"))
            .setName("web-01")
            .setGeneration(2)
            .setPowerState(PowerState.RUNNING)
            .setStateDetail("Running")
            .setHostName("hv-01.lab.example")
            .addDisks(vhdx(vms.resolve("web-01/web-01-disk0.vhdx"), 1L << 30))
            .addNetworkAdapters(nic("Network Adapter", "LAN", mac("web-01", 0)))
            .build(),
        web);
    for (VirtualMachine vm : List.of(db, web)) {
      assertTrue(vm.getId().matches(GUID), vm.getId());
      vm.getNetworkAdaptersList()
          .forEach(n -> assertTrue(n.getMacAddress().matches("00155D[0-9A-F]{6}"), n::toString));
    }
  }

  @Test
  void seededHostIsSparse() throws Exception {
    // 3.5 GiB of virtual disks; the folder must stay tiny on disk.
    Process du = new ProcessBuilder("du", "-sk", host.toString()).start();
    String out = new String(du.getInputStream().readAllBytes()).trim();
    assertEquals(0, du.waitFor());
    long kib = Long.parseLong(out.split("\\s+")[0]);

    assertTrue(kib < 4096, "seeded host takes " + kib + " KiB on disk");
    assertEquals(512 * MIB, Files.size(host.resolve("vms/db-01/db-01-disk1.raw")));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "Running, RUNNING",
    "Off, OFF",
    "Saved, SAVED",
    "Paused, PAUSED",
    "Starting, STARTING",
    "Stopping, STOPPING",
    "Hibernated, OTHER",
    "RunningCritical, OTHER",
  })
  void stateWordIsMappedAndKept(String state, PowerState expected) throws IOException {
    editVm("web-01", vm -> vm.addProperty("state", state));

    VirtualMachine web = vm(hypervisor.inventory(), "web-01");

    assertEquals(expected, web.getPowerState());
    assertEquals(state, web.getStateDetail());
  }

  @Test
  void folderWithoutVmJsonIsNotAVm() throws IOException {
    Files.createDirectories(host.resolve("vms/half-created"));
    Files.writeString(host.resolve("vms/notes.txt"), "not a VM");

    assertEquals(2, hypervisor.inventory().getVirtualMachinesCount());
  }

  @Test
  void missingHostJson() throws IOException {
    Files.delete(host.resolve("host.json"));

    NoSuchFileException e = assertThrows(NoSuchFileException.class, hypervisor::inventory);
    assertEquals(hypervisor.hostDir().resolve("host.json") + ": not found", e.getMessage());
  }

  @Test
  void missingVmsFolder() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Files.copy(host.resolve("host.json"), empty.resolve("host.json"));
    Json.edit(
        empty.resolve("host.json"),
        h -> h.getAsJsonArray("storagePaths").set(0, Json.parse("\".\"")));

    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> new SimulatedHypervisor(empty).inventory());
    assertEquals(empty.resolve("vms") + ": VM folder not found", e.getMessage());
  }

  @Test
  void malformedHostJson() throws IOException {
    Files.writeString(host.resolve("host.json"), "{\"hostName\": \"hv-01\",");

    assertFails("host.json", "malformed JSON");
  }

  @Test
  void emptyHostJson() throws IOException {
    Files.writeString(host.resolve("host.json"), "");

    assertFails("host.json", "empty file, expected a JSON object");
  }

  @Test
  void malformedVmJson() throws IOException {
    Files.writeString(host.resolve("vms/db-01/vm.json"), "[1, 2]");

    assertFails("vms/db-01/vm.json", "malformed JSON");
  }

  @Test
  void aMissingDiskFileIsMarkedAndEveryOtherVmStaysVisible() throws IOException {
    Path raw = hypervisor.vmsDir().resolve("db-01/db-01-disk1.raw");
    Files.delete(raw);

    var inventory = hypervisor.inventory();
    var db = inventory.getVirtualMachinesList().stream()
        .filter(vm -> vm.getName().equals("db-01")).findFirst().orElseThrow();
    assertTrue(db.getDisks(1).getMissing(), db.toString());
    assertEquals(raw.toString(), db.getDisks(1).getPath());
    assertFalse(db.getDisks(0).getMissing());
    assertTrue(inventory.getVirtualMachinesCount() > 1, "the other VMs vanished");
  }

  @Test
  void duplicateVmId() throws IOException {
    String webId = vmId("web-01");
    editVm("db-01", vm -> vm.addProperty("id", webId.toUpperCase(Locale.ROOT)));

    assertFails(
        "vms/web-01/vm.json",
        "VM id " + webId + " is already used by " + hypervisor.vmsDir().resolve("db-01/vm.json"));
  }

  @Test
  void adapterOnUnknownSwitch() throws IOException {
    editVm("web-01", vm -> nics(vm).get(0).getAsJsonObject().addProperty("switchName", "DMZ"));

    assertFails(
        "vms/web-01/vm.json",
        "network adapter 'Network Adapter' is connected to switch 'DMZ', which host.json does"
            + " not define");
  }

  @Test
  void disconnectedAdapterHasEmptySwitch() throws IOException {
    editVm("web-01", vm -> nics(vm).get(0).getAsJsonObject().remove("switchName"));

    assertEquals("", vm(hypervisor.inventory(), "web-01").getNetworkAdapters(0).getSwitchName());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "id | \"not-a-guid\" | id 'not-a-guid' is not a GUID",
        "name | \"\" | name is missing",
        "generation | 3 | generation must be 1 or 2, got 3",
        "state | \" \" | state is missing",
        "disks | [\"web-01.vhd\"] | has an unsupported format: expected .vhdx, .avhdx, .raw or"
            + " .img",
      })
  void invalidVmField(String field, String json, String message) throws IOException {
    if (field.equals("disks")) {
      Files.createFile(host.resolve("vms/web-01/web-01.vhd"));
    }
    editVm("web-01", vm -> vm.add(field, Json.parse(json)));

    assertFails("vms/web-01/vm.json", message);
  }

  @Test
  void invalidMacAddress() throws IOException {
    editVm("web-01", vm -> nics(vm).get(0).getAsJsonObject().addProperty("macAddress", "00:15"));

    assertFails("vms/web-01/vm.json", "has MAC address '00:15', expected 12 hex digits");
  }

  @Test
  void rawDiskOfOddLength() throws IOException {
    Path raw = hypervisor.vmsDir().resolve("db-01/db-01-disk1.raw");
    Files.write(raw, new byte[1000]);

    assertFails("vms/db-01/vm.json", "raw disk " + raw + " is 1000 bytes long");
  }

  @Test
  void corruptVhdxNamesTheDisk() throws IOException {
    Path vhdx = hypervisor.vmsDir().resolve("web-01/web-01-disk0.vhdx");
    Files.write(vhdx, new byte[4096]);

    DiskFormatException e = assertThrows(DiskFormatException.class, hypervisor::inventory);
    assertEquals(vhdx + ": not a VHDX file (no 'vhdxfile' signature at offset 0)", e.getMessage());
  }

  @Test
  void duplicateSwitchName() throws IOException {
    editHost(h -> switches(h).add(switches(h).get(0).deepCopy()));

    assertFails("host.json", "virtual switch 'LAN' is defined twice");
  }

  @Test
  void unknownSwitchType() throws IOException {
    editHost(h -> switches(h).get(1).getAsJsonObject().addProperty("type", "Bridged"));

    assertFails(
        "host.json",
        "virtual switch 'Backend' has type 'Bridged', expected one of [External, Internal,"
            + " Private]");
  }

  @Test
  void missingHostName() throws IOException {
    editHost(h -> h.remove("hostName"));

    assertFails("host.json", "hostName is missing");
  }

  @Test
  void missingStoragePath() throws IOException {
    editHost(h -> h.getAsJsonArray("storagePaths").add("D:/Hyper-V"));

    assertFails("host.json", "storage path " + hypervisor.hostDir().resolve("D:/Hyper-V"));
  }

  @Test
  void inventoryFollowsEdits() throws IOException {
    assertEquals(PowerState.OFF, vm(hypervisor.inventory(), "db-01").getPowerState());

    editVm("db-01", vm -> vm.addProperty("state", "Running"));

    assertEquals(PowerState.RUNNING, vm(hypervisor.inventory(), "db-01").getPowerState());
  }

  private void assertFails(String file, String message) {
    IOException e = assertThrows(IOException.class, hypervisor::inventory);
    String prefix = hypervisor.hostDir().resolve(file) + ": ";
    assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  private void editVm(String folder, Json.Edit edit) throws IOException {
    Json.edit(host.resolve("vms").resolve(folder).resolve("vm.json"), edit);
  }

  private void editHost(Json.Edit edit) throws IOException {
    Json.edit(host.resolve("host.json"), edit);
  }

  private String vmId(String folder) throws IOException {
    return Json.read(host.resolve("vms").resolve(folder).resolve("vm.json"))
        .get("id")
        .getAsString();
  }

  private static JsonArray nics(JsonObject vm) {
    return vm.getAsJsonArray("networkAdapters");
  }

  private static JsonArray switches(JsonObject host) {
    return host.getAsJsonArray("virtualSwitches");
  }

  private static VirtualMachine vm(HostInventory inventory, String name) {
    return inventory.getVirtualMachinesList().stream()
        .filter(vm -> vm.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  private String mac(String folder, int index) throws IOException {
    JsonObject vm = Json.read(host.resolve("vms").resolve(folder).resolve("vm.json"));
    return nics(vm).get(index).getAsJsonObject().get("macAddress").getAsString();
  }

  private static VirtualSwitch sw(String name, String id, String type) {
    return VirtualSwitch.newBuilder().setName(name).setId(id).setSwitchType(type).build();
  }

  private static NetworkAdapter nic(String name, String switchName, String mac) {
    return NetworkAdapter.newBuilder()
        .setName(name)
        .setSwitchName(switchName)
        .setMacAddress(mac)
        .build();
  }

  private static VirtualDisk vhdx(Path path, long size) throws IOException {
    return VirtualDisk.newBuilder()
        .setPath(path.toString())
        .setFileSizeBytes(Files.size(path))
        .setFormat(DiskFormat.VHDX)
        .setType(DiskType.DYNAMIC)
        .setVirtualSizeBytes(size)
        .setLogicalSectorSize(512)
        .setPhysicalSectorSize(4096)
        .setBlockSizeBytes(32 << 20)
        .build();
  }
}
