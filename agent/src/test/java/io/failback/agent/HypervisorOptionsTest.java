package io.failback.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedBoot;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Choosing the hypervisor driver from the agent's options. */
class HypervisorOptionsTest {
  @TempDir Path tmp;
  private final StringWriter err = new StringWriter();
  private final StringWriter out = new StringWriter();
  private final CommandLine agent = AgentMain.commandLine().setErr(new PrintWriter(err))
      .setOut(new PrintWriter(out));

  @Test
  void simulatedNeedsItsHostDirectory() {
    assertEquals(1, agent.execute("inventory", "--hypervisor", "simulated"));
    assertTrue(err.toString().contains("--host-dir is required with the simulated hypervisor"),
        err.toString());
  }

  @Test
  void timeoutsOfLessThanASecondAreRefusedNamingTheOption() {
    for (String[] option : new String[][] {{"--shutdown-timeout", "-5"},
        {"--shutdown-timeout", "0"}, {"--hyperv-command-timeout", "0"},
        {"--hyperv-checkpoint-timeout", "-1"}}) {
      assertEquals(1, agent.execute("inventory", "--hypervisor", "simulated", "--host-dir",
          tmp.toString(), option[0], option[1]));
      assertTrue(err.toString().contains(option[0] + " must be at least 1 second, got "
          + option[1]), err.toString());
    }
  }

  @Test
  void hypervRunsTheConfiguredPowerShell() {
    String missing = tmp.resolve("no-powershell").toString();
    assertEquals(1, agent.execute("inventory", "--hypervisor", "hyperv", "--powershell",
        missing));
    assertTrue(err.toString().contains("cannot run PowerShell '" + missing + "'"),
        err.toString());
  }

  @Test
  void hypervNeedsAStateDirectoryToRun() {
    assertEquals(1, agent.execute("run", "--hypervisor", "hyperv", "--controller", "c:1",
        "--cert", "a", "--key", "b", "--ca", "c"));
    assertTrue(err.toString().contains("--state-dir is required with the hyperv driver"),
        err.toString());
  }

  @Test
  void simulatedBootTakesAKernelAndAnInitrdAndOnlyWithTheSimulatedHost() {
    assertEquals(1, agent.execute("inventory", "--hypervisor", "simulated", "--host-dir",
        tmp.toString(), "--simulated-boot", "vmlinuz"));
    assertTrue(err.toString().contains("--simulated-boot takes KERNEL,INITRD, got 1 path(s)"),
        err.toString());
    assertEquals(1, agent.execute("inventory", "--hypervisor", "hyperv", "--simulated-boot",
        "vmlinuz,initrd"));
    assertTrue(err.toString().contains("--simulated-boot is an option of the simulated"
        + " hypervisor only"), err.toString());
    assertEquals(1, agent.execute("inventory", "--host-dir", tmp.toString(), "--simulated-boot",
        "vmlinuz,initrd", "--simulated-accel", "hax"));
    assertTrue(err.toString().contains("accelerator hax is neither tcg nor kvm"), err.toString());
  }

  @Test
  void simulatedBootOptionsMakeADriverThatBootsAsTheySay() {
    HypervisorOptions options = CommandLine.populateCommand(new HypervisorOptions(),
        "--hypervisor", "simulated", "--host-dir", tmp.toString(), "--simulated-boot",
        "k/vmlinuz,k/initrd.img", "--simulated-accel", "kvm", "--qemu", "/opt/qemu",
        "--shutdown-timeout", "7");
    SimulatedBoot boot = ((SimulatedHypervisor) options.driver()).boot().orElseThrow();
    assertEquals(new SimulatedBoot(Path.of("k/vmlinuz"), Path.of("k/initrd.img"), "/opt/qemu",
        "kvm", Duration.ofSeconds(7)), boot);
    HypervisorOptions plain = CommandLine.populateCommand(new HypervisorOptions(),
        "--hypervisor", "simulated", "--host-dir", tmp.toString());
    assertEquals(Optional.empty(), ((SimulatedHypervisor) plain.driver()).boot(),
        "without the option a simulated VM runs only as a state word");
  }

  @Test
  void runDocumentsSimulatedBoot() {
    assertEquals(0, agent.execute("run", "--help"));
    assertTrue(out.toString().contains("--simulated-boot=KERNEL,INITRD"), out.toString());
    assertTrue(out.toString().contains("boot-args"), out.toString());
  }

  @Test
  void offWindowsTheSimulatedHostIsTheDefault() {
    HypervisorOptions options = new HypervisorOptions();
    assertEquals(System.getProperty("os.name").startsWith("Windows")
        ? HypervisorOptions.Kind.hyperv : HypervisorOptions.Kind.simulated, options.kind());
  }
}
