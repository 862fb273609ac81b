package io.failback.agent.hyperv.simulated;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.ReadPoint;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.guest.GuestConsole;
import io.failback.common.testing.guest.GuestPattern;
import io.failback.common.testing.guest.GuestReport;
import io.failback.common.testing.guest.GuestScript;
import io.failback.common.testing.guest.TinyGuest;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A simulated host that boots its VM for real: the tiny guest under QEMU (TCG). */
class SimulatedBootTest {
  private static final int MIB = 1 << 20;
  private static final Duration BOOT = Duration.ofSeconds(120);

  @TempDir Path tmp;
  private final AtomicBoolean stopConsoles = new AtomicBoolean();
  private TinyGuest guest;
  private Path host;
  private Path folder;
  private String vmId;

  @BeforeEach
  void seedAnOffVmWithAVhdxAndARawDisk() throws Exception {
    guest = TinyGuest.require();
    host = tmp.resolve("hv-01");
    SimulatedHostSeeder.seed(host, "hv-01", List.of(new VmSpec("app-01", "Off", List.of("LAN"),
        List.of(new DiskSpec(DiskFormat.VHDX, 8L * MIB), new DiskSpec(DiskFormat.RAW,
            4L * MIB)))));
    folder = host.resolve("vms/app-01");
    Json.edit(folder.resolve("vm.json"), vm -> {
      vm.addProperty("memoryBytes", 192L * MIB);
      vm.addProperty("processorCount", 1);
    });
    vmId = new SimulatedHypervisor(host).inventory().getVirtualMachines(0).getId();
  }

  @AfterEach
  void noQemuOutlivesTheTest() throws Exception {
    stopConsoles.set(true);
    Optional<ProcessHandle> qemu = qemu();
    if (qemu.isPresent()) {
      qemu.get().destroyForcibly();
      qemu.get().onExit().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void theGuestWritesBothDisksAndItsPowerOffTurnsTheVmOff() throws Exception {
    SimulatedHypervisor driver = driver(SimulatedBoot.of(guest.kernel(), guest.initrd()));
    bootArgs(new GuestScript().write("vda", MIB, MIB, "vhdx").write("vdb", 512 << 10,
        512 << 10, "raw"));

    driver.startVm(vmId);
    assertEquals(PowerState.RUNNING, vm(driver).getPowerState());
    ProcessHandle qemu = qemu().orElseThrow();
    assertTrue(qemu.onExit().get(BOOT.toSeconds(), TimeUnit.SECONDS) != null);

    VirtualMachine off = vm(driver);
    assertEquals(PowerState.OFF, off.getPowerState());
    assertEquals("Off", off.getStateDetail(), "a guest's own power-off is no crash");
    GuestConsole console = console();
    assertEquals(Optional.of("FB-POWEROFF commands"),
        console.await("POWEROFF", Duration.ofSeconds(5)), console::tail);
    GuestReport report = console.report();
    assertEquals(List.of(), report.errors(), console::tail);
    assertEquals(Optional.of(8L * MIB), report.diskSize("vda"), "the VHDX disk is vda");
    assertEquals(Optional.of(4L * MIB), report.diskSize("vdb"), "the raw disk is vdb");
    assertEquals(Optional.of(1), report.cpus());
    assertEquals(Optional.of(QemuCommand.qemuMac(off.getNetworkAdapters(0).getMacAddress())),
        report.mac("eth0"), "the guest sees its adapter with the MAC the inventory reports");
    long memoryKib = report.memoryKib().orElseThrow();
    assertTrue(memoryKib > 128 << 10 && memoryKib <= 192 << 10,
        "the guest has the VM's 192 MiB, its kernel saw " + memoryKib + " KiB");
    assertArrayEquals(GuestPattern.bytes("vhdx", MIB, MIB), read(off.getDisks(0), MIB, MIB),
        "the guest's write is in the VHDX file, as the agent's reader reads it");
    assertArrayEquals(GuestPattern.bytes("raw", 512 << 10, 512 << 10),
        read(off.getDisks(1), 512 << 10, 512 << 10), "the guest's write is in the raw file");
  }

  @Test
  void stopPressesThePowerButtonAndReturnsOnceQemuHasExitedEvenForARestartedAgent()
      throws Exception {
    SimulatedBoot boot = SimulatedBoot.of(guest.kernel(), guest.initrd());
    bootArgs(new GuestScript().loop("vda", 0, 64 << 10, "lp").awaitAcpiShutdown());
    driver(boot).startVm(vmId);
    GuestConsole console = console();
    assertTrue(console.await("AWAITING-ACPI", BOOT).isPresent(), console::tail);
    assertTrue(console.await("LOOP 0", BOOT).isPresent(), console::tail);
    ProcessHandle qemu = qemu().orElseThrow();

    // Another driver on the same folder, as an agent restarted while the VM runs finds it.
    SimulatedHypervisor restarted = driver(boot);
    assertEquals(PowerState.RUNNING, vm(restarted).getPowerState());

    // A read point: the guest is paused while its disks are copied, then goes on.
    ReadPoint point = restarted.createReadPoint(vmId);
    try {
      byte[] frozen = read(Path.of(point.disk(vm(restarted).getDisks(0).getPath()).toString()),
          0, 64 << 10);
      String tag = new String(frozen, 0, 8, StandardCharsets.US_ASCII).strip();
      assertArrayEquals(GuestPattern.bytes(tag, 0, 64 << 10), frozen,
          "the copy holds one whole pass of the guest's loop");
    } finally {
      point.discard();
    }
    Path consoleFile = folder.resolve(QemuCommand.CONSOLE);
    GuestConsole afterwards = GuestConsole.followFile(consoleFile, Files.size(consoleFile),
        stopConsoles);
    assertTrue(afterwards.await("LOOP ", BOOT).isPresent(), "the guest goes on");

    restarted.stopVm(vmId, false);

    assertFalse(qemu.isAlive(), "no guest write can land once stop has returned");
    VirtualMachine off = vm(restarted);
    assertEquals(PowerState.OFF, off.getPowerState());
    assertEquals("Off", off.getStateDetail());
    assertEquals(Optional.of("acpi"), console.await("POWEROFF", Duration.ofSeconds(5))
        .map(line -> line.substring("FB-POWEROFF ".length())), console::tail);
  }

  @Test
  void aGuestIgnoringTheButtonIsTurnedOffAfterTheTimeoutAndAKilledQemuShowsAsACrash()
      throws Exception {
    SimulatedHypervisor driver = driver(SimulatedBoot.of(guest.kernel(), guest.initrd())
        .withShutdownTimeout(Duration.ofSeconds(1)));
    bootArgs(new GuestScript().ignoreAcpiShutdown());
    driver.startVm(vmId);
    ProcessHandle first = qemu().orElseThrow();
    long stopping = System.nanoTime();
    driver.stopVm(vmId, false);
    assertTrue(System.nanoTime() - stopping >= Duration.ofSeconds(1).toNanos(),
        "the guest had its shutdown timeout");
    assertFalse(first.isAlive());
    assertEquals("Off", vm(driver).getStateDetail(), "turned off on purpose: no crash");

    driver.startVm(vmId);
    ProcessHandle second = qemu().orElseThrow();
    second.destroyForcibly();
    second.onExit().get(30, TimeUnit.SECONDS);
    VirtualMachine crashed = vm(driver);
    assertEquals(PowerState.OFF, crashed.getPowerState());
    assertTrue(crashed.getStateDetail().contains("QEMU exited with status 137"),
        crashed.getStateDetail());
  }

  @Test
  void aQemuThatCannotBootFailsTheStartWithItsMessageAndTheVmStaysOff() throws Exception {
    SimulatedHypervisor driver = driver(SimulatedBoot.of(tmp.resolve("no-kernel"),
        guest.initrd()));
    IOException e = assertThrows(IOException.class, () -> driver.startVm(vmId));
    assertTrue(e.getMessage().contains("VM app-01 did not start") && e.getMessage()
        .contains(tmp.resolve("no-kernel").toString()), e.getMessage());
    assertEquals("Off", vm(driver).getStateDetail());

    SimulatedHypervisor noQemu = driver(SimulatedBoot.of(guest.kernel(), guest.initrd())
        .withQemu(tmp.resolve("no-qemu").toString()));
    e = assertThrows(IOException.class, () -> noQemu.startVm(vmId));
    assertTrue(e.getMessage().startsWith("cannot run QEMU ('" + tmp.resolve("no-qemu")),
        e.getMessage());
    assertEquals("Off", vm(noQemu).getStateDetail());
  }

  private SimulatedHypervisor driver(SimulatedBoot boot) {
    return new SimulatedHypervisor(host, boot);
  }

  private void bootArgs(GuestScript script) throws IOException {
    Files.writeString(folder.resolve(BootFolder.BOOT_ARGS), script.kernelCommandLine() + "\n");
  }

  private VirtualMachine vm(SimulatedHypervisor driver) throws IOException {
    return driver.inventory().getVirtualMachines(0);
  }

  /** The QEMU the VM's folder records, while it runs. */
  private Optional<ProcessHandle> qemu() throws IOException {
    return QemuRecord.read(folder).flatMap(QemuRecord::live);
  }

  private GuestConsole console() {
    return GuestConsole.followFile(folder.resolve(QemuCommand.CONSOLE), 0, stopConsoles);
  }

  private static byte[] read(io.failback.proto.v1.VirtualDisk disk, long offset, int length)
      throws IOException {
    return read(Path.of(disk.getPath()), offset, length);
  }

  private static byte[] read(Path file, long offset, int length) throws IOException {
    try (BlockDevice device = BlockDevices.open(file, false)) {
      ByteBuffer buffer = ByteBuffer.allocate(length);
      device.read(offset, buffer);
      return buffer.array();
    }
  }
}
