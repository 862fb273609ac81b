package io.failback.agent.hyperv.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.agent.hyperv.simulated.SimulatedHostJson.AdapterEntry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandTest {
  private static final SimulatedBoot BOOT =
      SimulatedBoot.of(Path.of("/boot/vmlinuz,1"), Path.of("/boot/initrd"));

  @Test
  void theVmsDefinitionSizesTheMachineAndEachDiskKeepsItsFormatAndOrder() {
    List<String> command = QemuCommand.arguments(BOOT.withAccelerator("kvm"), "id-1",
        (512L << 20) + 1, 2, List.of(new QemuCommand.Disk(Path.of("/h/a,b.vhdx"), "vhdx"),
            new QemuCommand.Disk(Path.of("/h/c.raw"), "raw")),
        List.of(new AdapterEntry("Network Adapter", "LAN", "00155D0A0B0C"),
            new AdapterEntry("Network Adapter 2", "", "00155DFFEE01")),
        "console=ttyS0 fb.run=x");

    assertEquals("kvm", after(command, "-accel"));
    assertEquals("513", after(command, "-m"), "whole MiB, rounded up");
    assertEquals("2", after(command, "-smp"));
    assertEquals("/boot/vmlinuz,1", after(command, "-kernel"), "taken verbatim by QEMU");
    assertEquals("console=ttyS0 fb.run=x", after(command, "-append"));
    assertEquals(List.of("file=/h/a,,b.vhdx,format=vhdx,if=virtio",
        "file=/h/c.raw,format=raw,if=virtio"), drives(command));
    assertEquals("file:console.log", after(command, "-serial"));
    assertEquals("unix:qmp.sock,server=on,wait=off", after(command, "-qmp"));
    assertEquals("user,id=nic0,restrict=on", after(command, "-netdev"));
    assertEquals(List.of("virtio-net-pci,mac=00:15:5d:0a:0b:0c,netdev=nic0",
        "virtio-net-pci,mac=00:15:5d:ff:ee:01"), devices(command),
        "each adapter with its MAC address, the one on no switch on no network");
  }

  @Test
  void aVmWithoutMemoryOrProcessorsGetsWhatTheTinyGuestNeeds() {
    List<String> command = QemuCommand.arguments(BOOT, "id-1", null, null, List.of(), List.of(),
        "quiet");

    assertEquals("qemu-system-x86_64", command.get(0));
    assertEquals("tcg", after(command, "-accel"));
    assertEquals("256", after(command, "-m"));
    assertEquals("1", after(command, "-smp"));
    assertEquals(List.of(), drives(command));
  }

  private static String after(List<String> command, String option) {
    return command.get(command.indexOf(option) + 1);
  }

  private static List<String> drives(List<String> command) {
    return values(command, "-drive");
  }

  private static List<String> devices(List<String> command) {
    return values(command, "-device");
  }

  private static List<String> values(List<String> command, String option) {
    return java.util.stream.IntStream.range(0, command.size() - 1)
        .filter(i -> command.get(i).equals(option)).mapToObj(i -> command.get(i + 1)).toList();
  }
}
