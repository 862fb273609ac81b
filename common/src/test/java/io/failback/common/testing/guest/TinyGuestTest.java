package io.failback.common.testing.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.guest.TinyGuest.Disk;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny guest boots under QEMU, writes patterns with O_DIRECT, reads them back, powers off. */
class TinyGuestTest {
  private static final long MIB = 1 << 20;
  private static final Duration BOOT = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void writesPatternsThatTheHostAndANewBootReadBackThenPowersOffOnTheAcpiButton()
      throws Exception {
    TinyGuest guest = TinyGuest.require();
    Path raw = dir.resolve("a.raw");
    try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
      file.setLength(32 * MIB);
    }
    Path qcow2 = dir.resolve("b.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", qcow2.toString(), "16M");
    List<Disk> disks = List.of(new Disk(raw, "raw"), new Disk(qcow2, "qcow2"));
    // The zeroed range cuts the middle out of the first pattern.
    GuestScript writes = new GuestScript()
        .write("vda", MIB, MIB, "alpha").zero("vda", MIB + 65536, 4096)
        .write("vdb", 15 * MIB, MIB, "bravo-2")
        .sum("vda", MIB, MIB).sum("vdb", 15 * MIB, MIB);

    GuestReport first = guest.run(dir, disks, writes, BOOT);

    byte[] alpha = GuestPattern.bytes("alpha", MIB, (int) MIB);
    java.util.Arrays.fill(alpha, 65536, 65536 + 4096, (byte) 0);
    String bravo = GuestPattern.sha256(GuestPattern.bytes("bravo-2", 15 * MIB, (int) MIB));
    assertEquals(Optional.of(32 * MIB), first.diskSize("vda"));
    assertEquals(Optional.of(16 * MIB), first.diskSize("vdb"));
    assertTrue(first.wrote("vda", MIB, MIB, "alpha") && first.zeroed("vda", MIB + 65536, 4096),
        first.lines()::toString);
    assertEquals(Optional.of(GuestPattern.sha256(alpha)), first.sum("vda", MIB, MIB));
    assertEquals(Optional.of(bravo), first.sum("vdb", 15 * MIB, MIB));
    assertEquals(Optional.of("commands"), first.powerOffReason());
    assertArrayEquals(alpha, readFile(raw, MIB, (int) MIB), "the host reads what the guest wrote");

    GuestScript reads = new GuestScript().sum("vda", MIB, MIB).sum("vdb", 15 * MIB, MIB)
        .sum("vdb", 15 * MIB, 2 * MIB).awaitAcpiShutdown();
    try (GuestMachine machine = guest.boot(dir, disks, reads)) {
      assertTrue(machine.console().await("AWAITING-ACPI", BOOT).isPresent(),
          machine.console()::tail);
      machine.pressPowerButton();
      assertEquals(0, machine.awaitExit(Duration.ofSeconds(30)));
      GuestReport second = machine.console().report();
      assertEquals(Optional.of(GuestPattern.sha256(alpha)), second.sum("vda", MIB, MIB));
      assertEquals(Optional.of(bravo), second.sum("vdb", 15 * MIB, MIB));
      assertEquals(List.of("ERROR beyond end vdb " + 15 * MIB + " " + 2 * MIB + " " + 16 * MIB,
          "ERROR failed 's:vdb:" + 15 * MIB + ":" + 2 * MIB + "'"), second.errors(),
          "a region past the disk's end is refused, not read short");
      assertEquals(Optional.of("acpi"), second.powerOffReason());
    }
  }

  /** A network adapter shows with its MAC address and carries a ping; a missing one is said. */
  @Test
  void aNetworkAdapterCarriesAPingAndAMissingOneIsAnError() throws Exception {
    TinyGuest guest = TinyGuest.require();
    GuestScript script = new GuestScript().ping("eth0", "10.0.2.15", 24, "10.0.2.2")
        .ping("eth1", "10.0.3.15", 24, "10.0.3.2");
    try (GuestMachine machine = guest.boot(dir, List.of(), List.of("52:54:00:fb:00:01"),
        script)) {
      assertEquals(0, machine.awaitExit(BOOT), machine.console()::tail);
      GuestReport report = machine.console().report();
      assertEquals(Optional.of("52:54:00:fb:00:01"), report.mac("eth0"));
      assertTrue(report.pinged("eth0", "10.0.2.2"), report.lines()::toString);
      assertEquals(Optional.empty(), report.mac("eth1"));
      assertEquals(List.of("ERROR no nic eth1", "ERROR failed 'n:eth1:10.0.3.15/24:10.0.3.2'"),
          report.errors());
    }
  }

  private static byte[] readFile(Path file, long offset, int length) throws IOException {
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      byte[] out = new byte[length];
      in.seek(offset);
      in.readFully(out);
      return out;
    }
  }

  private static void qemuImg(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("qemu-img"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).inheritIO().start();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0,
        "qemu-img " + String.join(" ", args));
  }
}
