package io.failback.agent.hyperv.state;

import io.failback.agent.hyperv.ForwardingHypervisor;
import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.undo.UndoJournals;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * A hypervisor driver that never starts a VM whose disks are inconsistent and shows why in
 * the inventory, that knows the newest generation of each VM for fencing, and that shares and
 * recovers the read points of running VMs; all of it kept in the agent's state folder.
 */
public final class GuardedHypervisor extends ForwardingHypervisor {
  private final InconsistentVms marks;
  private final VmGenerations generations;
  private final ReadPoints readPoints;
  private final UndoJournals undo;
  private final DrillVmRecords drills;
  private final OpenSessions sessions = new OpenSessions();

  public GuardedHypervisor(HypervisorDriver inner, Path stateDir) {
    super(inner);
    this.marks = new InconsistentVms(stateDir);
    this.generations = new VmGenerations(stateDir);
    this.readPoints = new ReadPoints(inner, stateDir);
    this.undo = new UndoJournals(stateDir, Clock.systemUTC());
    this.drills = new DrillVmRecords(stateDir);
  }

  /** The VMs this agent made for failback drills. */
  public DrillVmRecords drills() {
    return drills;
  }

  /** The undo journals failbacks keep of this host's disks until commit. */
  public UndoJournals undo() {
    return undo;
  }

  public InconsistentVms marks() {
    return marks;
  }

  /** The newest generation seen per VM: commands carrying an older one are refused. */
  public VmGenerations generations() {
    return generations;
  }

  /** The sync sessions open per VM, and the VMs being released, which get none. */
  public OpenSessions sessions() {
    return sessions;
  }

  /** The read points source sessions of running VMs share. */
  public ReadPoints readPoints() {
    return readPoints;
  }

  @Override
  public HostInventory inventory() throws IOException {
    HostInventory.Builder inventory = super.inventory().toBuilder();
    for (VirtualMachine.Builder vm : inventory.getVirtualMachinesBuilderList()) {
      Optional<String> reason = marks.reason(vm.getId());
      if (reason.isPresent()) {
        vm.setInconsistentReason(reason.get());
      }
    }
    return inventory.build();
  }

  @Override
  public void startVm(String vmId) throws IOException {
    Optional<String> reason = marks.reason(vmId);
    if (reason.isPresent()) {
      throw new IOException("VM " + vmId + " is INCONSISTENT and must not start: "
          + reason.get() + "; re-run the failback to complete its sync");
    }
    super.startVm(vmId);
  }
}
