package io.failback.agent.hyperv.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.SwitchSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.common.disk.VhdxInfo;
import io.failback.common.disk.VhdxType;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.VirtualSwitch;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedHostSeederTest {
  private static final long MIB = 1L << 20;

  @TempDir Path tmp;

  @Test
  void writesTheDocumentedLayout() throws IOException {
    Path host = tmp.resolve("host");
    SimulatedHostSeeder.demoHost(host, "hv-01");

    try (Stream<Path> files = Files.walk(host)) {
      assertEquals(
          List.of(
              "",
              "host.json",
              "vms",
              "vms/db-01",
              "vms/db-01/db-01-disk0.vhdx",
              "vms/db-01/db-01-disk1.raw",
              "vms/db-01/vm.json",
              "vms/web-01",
              "vms/web-01/vm.json",
              "vms/web-01/web-01-disk0.vhdx"),
          files.map(p -> host.relativize(p).toString().replace('\\', '/')).sorted().toList());
    }
    JsonObject web = Json.read(host.resolve("vms/web-01/vm.json"));
    assertEquals("web-01", web.get("name").getAsString());
    assertEquals(2, web.get("generation").getAsInt());
    assertEquals("Running", web.get("state").getAsString());
    assertEquals("web-01-disk0.vhdx", web.getAsJsonArray("disks").get(0).getAsString());
  }

  @Test
  void smallVhdxDisksUseOneMibBlocks() throws IOException {
    Path host = tmp.resolve("host");
    VmSpec vm =
        new VmSpec(
            "app",
            "Saved",
            List.of(),
            List.of(new DiskSpec(DiskFormat.VHDX, 64 * MIB), new DiskSpec(DiskFormat.RAW, MIB)));

    SimulatedHostSeeder.seed(host, "hv-02", List.of(vm));

    VhdxInfo info = VhdxInfo.read(host.resolve("vms/app/app-disk0.vhdx"));
    assertEquals(VhdxType.DYNAMIC, info.type());
    assertEquals(64 * MIB, info.virtualSize());
    assertEquals(MIB, info.blockSize());
    assertEquals(MIB, Files.size(host.resolve("vms/app/app-disk1.raw")));
  }

  @Test
  void switchesComeFromTheAdaptersWhenNotGiven() throws IOException {
    Path host = tmp.resolve("host");
    SimulatedHostSeeder.seed(
        host,
        "hv-03",
        List.of(
            new VmSpec("a", "Off", List.of("Blue", "Green"), List.of()),
            new VmSpec("b", "Off", List.of("Green"), List.of())));

    HostInventory inventory = new SimulatedHypervisor(host).inventory();

    assertEquals(
        List.of("Blue:Private", "Green:Private"),
        inventory.getVirtualSwitchesList().stream()
            .map(s -> s.getName() + ":" + s.getSwitchType())
            .toList());
    assertEquals(0, inventory.getVirtualMachines(0).getDisksCount());
  }

  @Test
  void refusesANonEmptyDirectory() throws IOException {
    Path host = Files.createDirectories(tmp.resolve("host"));
    Files.writeString(host.resolve("keep.txt"), "mine");

    FileAlreadyExistsException e =
        assertThrows(
            FileAlreadyExistsException.class, () -> SimulatedHostSeeder.demoHost(host, "hv"));

    assertEquals(host + ": not empty: refusing to seed a simulated host into it", e.getMessage());
    assertFalse(Files.exists(host.resolve("vms")));
  }

  @Test
  void seedsIntoAnEmptyDirectory() throws IOException {
    Path host = Files.createDirectories(tmp.resolve("host"));

    SimulatedHostSeeder.demoHost(host, "hv");

    List<VirtualSwitch> switches =
        new SimulatedHypervisor(host).inventory().getVirtualSwitchesList();
    assertEquals(2, switches.size());
  }

  @Test
  void rejectsInconsistentSpecs() {
    Path host = tmp.resolve("host");
    VmSpec onDmz = new VmSpec("web", "Off", List.of("DMZ"), List.of());
    List<SwitchSpec> lan = List.of(new SwitchSpec("LAN", "External"));

    assertMessage(
        "VM web uses switch DMZ, which is not defined",
        () -> SimulatedHostSeeder.seed(host, "hv", lan, List.of(onDmz)));
    assertMessage(
        "VM name WEB is used twice",
        () ->
            SimulatedHostSeeder.seed(
                host,
                "hv",
                List.of(
                    new VmSpec("web", "Off", List.of(), List.of()),
                    new VmSpec("WEB", "Off", List.of(), List.of()))));
    assertMessage(
        "switch LAN is listed twice",
        () -> SimulatedHostSeeder.seed(host, "hv", List.of(lan.get(0), lan.get(0)), List.of()));
    assertFalse(Files.exists(host));
  }

  @Test
  void rejectsInvalidSpecParts() {
    assertMessage(
        "switch LAN has type Bridged, expected one of [External, Internal, Private]",
        () -> new SwitchSpec("LAN", "Bridged"));
    assertMessage(
        "disk size must be a positive multiple of 512, got 1000",
        () -> new DiskSpec(DiskFormat.RAW, 1000));
    assertMessage(
        "disk format must be VHDX or RAW, got DISK_FORMAT_UNSPECIFIED",
        () -> new DiskSpec(DiskFormat.DISK_FORMAT_UNSPECIFIED, MIB));
    assertMessage(
        "VM name ../etc must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter"
            + " or digit",
        () -> new VmSpec("../etc", "Off", List.of(), List.of()));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, e).getMessage());
  }
}
