package io.failback.agent.hyperv.simulated;

import java.io.IOException;
import java.nio.file.Path;

/** How a simulated host starts and stops its VMs, and so which power state it reports. */
interface VmPower {
  /**
   * The state to report for the VM in {@code vmFolder} whose {@code vm.json} says {@code
   * recorded}.
   */
  ReportedState state(Path vmFolder, String recorded) throws IOException;

  /** Starts the VM defined by {@code vmFile}; nothing if it runs. */
  void start(Path vmFile) throws IOException;

  /**
   * Stops the VM defined by {@code vmFile}: a guest shutdown, or a power cut when {@code
   * turnOff}; nothing if it is Off. When this returns, nothing of the VM writes its disks.
   */
  void stop(Path vmFile, boolean turnOff) throws IOException;

  /** Something done to a VM's disk files, such as copying them. */
  @FunctionalInterface
  interface DiskWork<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code work} while nothing of the VM in {@code vmFolder} writes its disks, so that
   * they hold one moment (a read point's copy); the VM goes on afterwards.
   */
  <T> T whileFrozen(Path vmFolder, DiskWork<T> work) throws IOException;

  /** The VM "runs" as the state word in its {@code vm.json}: nothing executes. */
  VmPower RECORDED = new VmPower() {
    @Override
    public ReportedState state(Path vmFolder, String recorded) {
      return ReportedState.of(recorded);
    }

    @Override
    public void start(Path vmFile) throws IOException {
      SimulatedHostJson.replaceState(vmFile, "Running");
    }

    @Override
    public void stop(Path vmFile, boolean turnOff) throws IOException {
      SimulatedHostJson.replaceState(vmFile, "Off");
    }

    @Override
    public <T> T whileFrozen(Path vmFolder, DiskWork<T> work) throws IOException {
      // Whatever writes the disks (a test) is outside the host's control.
      return work.run();
    }
  };
}
