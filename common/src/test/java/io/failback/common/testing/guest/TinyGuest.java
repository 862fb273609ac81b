package io.failback.common.testing.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The tiny Linux guest of tools/build-tiny-guest, booted under QEMU (TCG: KVM hangs on these
 * machines) with 1 vCPU and 256 MiB, its results read from its serial console.
 */
public final class TinyGuest {
  /** QEMU's system emulator; tests that boot a guest are skipped only where it is absent. */
  public static final String QEMU = "qemu-system-x86_64";

  private static TinyGuest built;

  private final Path kernel;
  private final Path initrd;

  private TinyGuest(Path kernel, Path initrd) {
    this.kernel = kernel;
    this.initrd = initrd;
  }

  /** One disk of a guest and its QEMU format ("qcow2", "raw", "vhdx"). */
  public record Disk(Path file, String format) {}

  /**
   * The guest, built once per JVM; skips the calling test (JUnit assumption) when QEMU's system
   * emulator is not installed, and fails it when QEMU is there but the guest cannot be built.
   */
  public static synchronized TinyGuest require() throws IOException, InterruptedException {
    Assumptions.assumeTrue(onPath(QEMU), QEMU + " is not installed: the tests that boot a real"
        + " guest are skipped (tools/install-test-deps installs qemu-system-x86)");
    if (built == null) {
      Path root = repositoryRoot();
      Path out = root.resolve("target").resolve("tiny-guest");
      Process process = new ProcessBuilder(root.resolve("tools/build-tiny-guest").toString(),
          out.toString()).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        fail("tools/build-tiny-guest failed (tools/install-test-deps installs what it needs):\n"
            + output);
      }
      // The unpacked kernel: it boots in about 5 s under TCG, the packed one in about 12.
      built = new TinyGuest(out.resolve("vmlinux"), out.resolve("initrd.img"));
    }
    return built;
  }

  public Path kernel() {
    return kernel;
  }

  /**
   * The packed kernel (bzImage) beside {@link #kernel}: an EFI program too, which UEFI firmware
   * can load from a disk; the unpacked ELF kernel boots only by QEMU's own loader.
   */
  public Path packedKernel() {
    return kernel.resolveSibling("vmlinuz");
  }

  public Path initrd() {
    return initrd;
  }

  /** Boots the guest on {@code disks} (vda, vdb, … in order); close the machine to stop it. */
  public GuestMachine boot(Path workDir, List<Disk> disks, GuestScript script)
      throws IOException, InterruptedException {
    return boot(workDir, disks, List.of(), script);
  }

  /**
   * As {@link #boot(Path, List, GuestScript)}, with a virtio network adapter per MAC address
   * (eth0, eth1, … in order), each on a QEMU user-mode network of its own, whose gateway
   * 10.0.2.2 answers pings.
   */
  public GuestMachine boot(Path workDir, List<Disk> disks, List<String> macs,
      GuestScript script) throws IOException, InterruptedException {
    Path socket = workDir.resolve("qmp-" + ProcessHandle.current().pid() + "-"
        + System.nanoTime() % 100_000 + ".sock");
    Qmp.Listener listener = Qmp.listen(socket);
    List<String> command = new ArrayList<>(List.of(QEMU, "-accel", "tcg", "-m", "256",
        "-smp", "1", "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
        "-qmp", "unix:" + socket, "-kernel", kernel.toString(), "-initrd", initrd.toString(),
        "-append", script.kernelCommandLine()));
    for (Disk disk : disks) {
      command.add("-drive");
      command.add("file=" + disk.file() + ",format=" + disk.format() + ",if=virtio");
    }
    for (int i = 0; i < macs.size(); i++) {
      command.addAll(List.of("-netdev", "user,id=nic" + i, "-device",
          "virtio-net-pci,netdev=nic" + i + ",mac=" + macs.get(i)));
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    GuestConsole console = GuestConsole.follow(process.getInputStream(), "guest-console");
    try {
      return new GuestMachine(process, console, listener.accept(Duration.ofSeconds(30)));
    } catch (IOException | RuntimeException e) {
      process.destroyForcibly().waitFor();
      throw new IOException(e.getMessage() + "\n" + console.tail(), e);
    }
  }

  /**
   * Boots the guest, waits until it powered off by itself and returns its reports; fails the
   * test if it reported an error, did not power off in time or QEMU exited non-zero.
   */
  public GuestReport run(Path workDir, List<Disk> disks, GuestScript script, Duration timeout)
      throws IOException, InterruptedException {
    try (GuestMachine machine = boot(workDir, disks, script)) {
      int exit = machine.awaitExit(timeout);
      GuestReport report = machine.console().report();
      assertEquals(List.of(), report.errors(), machine.console()::tail);
      assertEquals(0, exit, machine.console()::tail);
      return report;
    }
  }

  private static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  /** The checkout's root: Maven runs each module's tests in the module's folder. */
  static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isExecutable(dir.resolve("tools/build-tiny-guest"))) {
        return dir;
      }
    }
    throw new AssertionError("no tools/build-tiny-guest above " + Path.of("").toAbsolutePath());
  }
}
