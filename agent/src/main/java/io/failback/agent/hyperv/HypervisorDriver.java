package io.failback.agent.hyperv;

import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.time.Instant;

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

  /**
   * Creates a VM (Off) in the host's default VM path with new, empty dynamic VHDX disks and
   * returns it as {@link #inventory()} reports it.
   *
   * <p>Every switch is checked before anything is made; a failure half-way removes what was
   * made. Used by failback to an alternate host, which then syncs into the new disks.
   *
   * @throws IOException naming what is missing (a switch) or which hypervisor step failed
   */
  VirtualMachine createVm(NewVm spec) throws IOException;

  /**
   * Deletes a VM and the virtual hard disk files it was created with, cutting its power first
   * if it runs; nothing if there is no such VM. Only for VMs the agent made itself (a failback
   * drill's): callers check that, this method does not. A disk attached to the VM since is
   * kept: it may be another VM's.
   *
   * @throws IOException naming the hypervisor step that failed
   */
  void deleteVm(String vmId) throws IOException;

  /**
   * Refuses, with a reason the operator can act on, unless the disk {@code diskPath} of VM
   * {@code vmId} may be opened now for reading, or for writing when {@code write}.
   *
   * <p>Differencing disks and VMs with checkpoints are always refused (merge the checkpoints
   * first); what else is required depends on the host: a real Hyper-V host needs the VM Off and
   * the disk not attached anywhere.
   */
  void checkDiskAccess(String vmId, String diskPath, boolean write) throws IOException;

  /**
   * Freezes the disks of a VM for reading while it runs on (see {@link ReadPoint}).
   *
   * @throws IOException naming why not: no such VM, checkpoints of its own, or the host failed
   */
  ReadPoint createReadPoint(String vmId) throws IOException;

  /**
   * Discards read point {@code readPointId} of VM {@code vmId}, left open by an agent that
   * stopped before ending it; nothing if it has already ended.
   */
  void discardReadPoint(String vmId, String readPointId) throws IOException;

  /**
   * Discards the read points of VM {@code vmId} made from {@code since} on, within the time
   * making one may take: the host may have made one whose id the agent never learned (it
   * stopped, or timed out). Only that window: another product's checkpoints of the VM, made
   * before or long after, are not the agent's to remove.
   */
  void discardReadPointsSince(String vmId, Instant since) throws IOException;

  /**
   * Destroys every change-tracking reference point this driver made of VM {@code vmId} and
   * forgets them; returns how many it destroyed (0 when none is left). Reference points and
   * checkpoints it did not make (another backup product's) are never touched, nor the VM.
   *
   * @throws IOException naming the hypervisor step that failed; those not yet destroyed are
   *     still known, for the next call
   */
  int destroyReferencePoints(String vmId) throws IOException;
}
