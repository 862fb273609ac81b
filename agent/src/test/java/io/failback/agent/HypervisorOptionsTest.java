package io.failback.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
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
