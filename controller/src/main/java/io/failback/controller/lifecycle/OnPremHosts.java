package io.failback.controller.lifecycle;

import io.failback.proto.v1.VirtualMachine;

/**
 * What the lifecycle needs from the on-prem hosts, through their agents. Commands on a VM carry
 * its item's {@code generation}; an agent that has seen a newer one refuses them.
 */
public interface OnPremHosts {
  /** The VM as its host last reported it, with {@code host_name} set. */
  VirtualMachine vm(String vmId) throws LifecycleException;

  /** Stops the VM (guest shutdown) and waits until the host reports it Off. */
  void stopVm(String host, String vmId, long generation) throws LifecycleException;

  /** Starts the VM; the agent refuses while the VM is marked inconsistent. */
  void startVm(String host, String vmId, long generation) throws LifecycleException;

  /** Lifts the agent's inconsistent mark after the disks were verified. */
  void clearInconsistent(String host, String vmId, long generation) throws LifecycleException;
}
