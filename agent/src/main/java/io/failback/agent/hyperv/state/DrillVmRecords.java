package io.failback.agent.hyperv.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The VMs this agent created for failback drills, kept on the agent's own disk: the only VMs
 * it ever deletes. A controller (or whoever speaks for one) cannot have a production VM
 * deleted by calling it a drill VM.
 */
public final class DrillVmRecords {
  private final Path dir;

  public DrillVmRecords(Path stateDir) {
    this.dir = stateDir.resolve("drill-vms");
  }

  /** Records {@code vmId} (named {@code name}) as a drill VM, durably. */
  public synchronized void record(String vmId, String name) throws IOException {
    DurableFiles.replace(DurableFiles.vmFile(dir, vmId), name);
  }

  public synchronized boolean isDrillVm(String vmId) throws IOException {
    return Files.exists(DurableFiles.vmFile(dir, vmId));
  }

  /** Forgets {@code vmId} once it is deleted. */
  public synchronized void forget(String vmId) throws IOException {
    Files.deleteIfExists(DurableFiles.vmFile(dir, vmId));
    DurableFiles.syncDirectory(dir);
  }
}
