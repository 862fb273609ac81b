package io.failback.agent.hyperv;

import io.failback.proto.v1.HostInventory;
import java.io.IOException;

/** What the agent needs from the hypervisor of its host. */
public interface HypervisorDriver {
  /**
   * Reads the host's VMs, disks, virtual switches and storage paths as they are now.
   *
   * <p>{@code agent_version} is left empty for the caller to fill in.
   *
   * @throws IOException if the hypervisor cannot be queried or reports something unusable; the
   *     message names what is wrong and where
   */
  HostInventory inventory() throws IOException;

  /** Stops a VM: a guest shutdown, or a power cut when {@code turnOff}; nothing if it is Off. */
  void stopVm(String vmId, boolean turnOff) throws IOException;

  /** Starts a VM; nothing if it runs. */
  void startVm(String vmId) throws IOException;
}
