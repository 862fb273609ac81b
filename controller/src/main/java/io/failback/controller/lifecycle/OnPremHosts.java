package io.failback.controller.lifecycle;

import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.RollbackReport;
import io.failback.proto.v1.SampleDigests;
import io.failback.proto.v1.VirtualMachine;
import java.util.List;
import java.util.Optional;

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

  /**
   * Sends the start of {@link #startVm} and returns once it is on its way, before the host
   * answers: commands reach an agent in the order they were sent, so a caller that must come
   * before others under a lock holds it for the sending only, never for a host's answer.
   */
  Sent sendStartVm(String host, String vmId, long generation) throws LifecycleException;

  /** A command on its way to a host. */
  interface Sent {
    /** Waits for the host's answer, as long as any command waits; fails as the command did. */
    void await() throws LifecycleException;
  }

  /** Lifts the agent's inconsistent mark after the disks were verified. */
  void clearInconsistent(String host, String vmId, long generation) throws LifecycleException;

  /**
   * Puts the VM's disks back as they were before failback {@code journal} wrote them, from the
   * agent's undo journals, and lifts its inconsistent mark. The VM must be off.
   *
   * @throws UndoUnusableException if a journal is missing or damaged; nothing was changed
   * @throws LifecycleException if the host did not do it now (offline, busy); retry later
   */
  RollbackReport rollbackDisks(String host, String vmId, long generation, String journal)
      throws LifecycleException, UndoUnusableException;

  /**
   * Reads every undo journal of failback {@code journal} of the VM, changing nothing: what a
   * rollback would put back. The VM may run.
   *
   * @throws UndoUnusableException if a journal is missing or damaged
   */
  RollbackReport checkUndo(String host, String vmId, long generation, String journal)
      throws LifecycleException, UndoUnusableException;

  /**
   * DisableProtection: the host drops the read and reference points it made of the VM and the
   * digest sets named; the VM and its disks stay. A second call finds nothing and reports zeros.
   */
  io.failback.proto.v1.ReleaseReport releaseVm(String host, String vmId, long generation,
      java.util.List<String> digestSets) throws LifecycleException;

  /** Deletes the VM's undo journals of failback {@code journal}: it was committed. */
  void discardUndo(String host, String vmId, long generation, String journal)
      throws LifecycleException;

  /**
   * Creates a VM (Off) on the host, with new empty disks, for a failback to an alternate host.
   *
   * @return the VM as the host reports it, with {@code host_name} set
   */
  VirtualMachine createVm(String host, CreateVm spec) throws LifecycleException;

  /** A failback drill's VM as its host created it, and what seeding its disks did. */
  record DrillVm(VirtualMachine vm, io.failback.proto.v1.DrillSeedReport seed) {}

  /**
   * Creates a failback drill's VM (Off, no network adapter) on the host, its disks seeded
   * there from VM {@code request.seed_from_vm_id}'s when set; waits as long as reading those
   * disks may take.
   */
  DrillVm createDrillVm(String host, io.failback.proto.v1.CreateDrillVm request)
      throws LifecycleException;

  /** Deletes a drill VM with its disks; the agent refuses any VM it did not make for a drill. */
  void deleteDrillVm(String host, String vmId) throws LifecycleException;

  /** Whether the host's agent holds a control stream now. */
  boolean isOnline(String host);

  /** The least round trip of the host's control stream lately; empty before one is measured. */
  default Optional<java.time.Duration> roundTrip(String host) {
    return Optional.empty();
  }

  /**
   * The control stream the host's agent holds now, as an opaque token; empty when offline. A
   * different token later means the agent reconnected or restarted in between.
   */
  Optional<Object> agentConnection(String host);

  /** Whether the host's agent answers a trivial command within {@code within} now. */
  boolean answers(String host, java.time.Duration within);

  /** The host's inventory as its agent last reported it, if it ever registered. */
  Optional<HostInventory> inventory(String host) throws LifecycleException;

  /** Digests of a few blocks of a disk on the host, read only, in the request's order. */
  List<byte[]> sampleDigests(String host, SampleDigests request) throws LifecycleException;

  /**
   * Records in the audit trail that protected item {@code itemVmId}'s on-prem VM moved to
   * {@code toHost} as {@code newVmId} (a failback to an alternate host, or a recreation).
   */
  void recordMove(String itemVmId, String fromHost, String toHost, String newVmId, String why)
      throws LifecycleException;
}
