package io.failback.agent.undo;

import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.common.disk.BlockDevices;
import io.failback.common.undo.UndoJournalException;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.DiscardUndo;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.RollbackDisks;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Path;

/** The controller's RollbackDisks and DiscardUndo, on this host's undo journals. */
public final class UndoCommands {
  private final GuardedHypervisor driver;

  public UndoCommands(GuardedHypervisor driver) {
    this.driver = driver;
  }

  /**
   * Puts the VM's disks back as they were before its failback and clears its inconsistent mark;
   * a missing or damaged journal sets {@code undo_unusable} and changes nothing.
   */
  public void rollback(RollbackDisks command, CommandResult.Builder result) throws IOException {
    String vmId = command.getVmId();
    driver.generations().admit(vmId, command.getGeneration());
    VirtualMachine vm = driver.inventory().getVirtualMachinesList().stream()
        .filter(v -> v.getId().equalsIgnoreCase(vmId)).findFirst()
        .orElseThrow(() -> new IOException("no VM " + vmId + " on this host"));
    if (command.getCheckOnly()) {
      check(command, vm, result);
      return;
    }
    if (vm.getPowerState() != PowerState.OFF) {
      throw new IOException("VM " + vm.getName() + " is " + vm.getStateDetail() + "; it must be"
          + " Off before its disks are rolled back");
    }
    for (String disk : driver.undo().disks(vmId)) {
      if (vm.getDisksList().stream().map(VirtualDisk::getPath).noneMatch(disk::equals)) {
        throw new IOException("undo journal of " + disk + " is listed for VM " + vm.getName()
            + ", which no longer has that disk; nothing was rolled back");
      }
      driver.checkDiskAccess(vmId, disk, true);
    }
    try {
      result.setRollbackReport(driver.undo().rollback(vmId, command.getUndoJournal(),
          disk -> BlockDevices.open(Path.of(disk), true)));
    } catch (UndoJournalException e) {
      result.setUndoUnusable(true);
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("agent stopping; nothing was rolled back", e);
    }
    // The disks hold exactly what they held before the failback's first write.
    driver.marks().clear(vmId);
  }

  /** Reads every journal of the VM's failback, writing nothing: may a rollback run? */
  private void check(RollbackDisks command, VirtualMachine vm, CommandResult.Builder result)
      throws IOException {
    for (String disk : driver.undo().disks(vm.getId())) {
      if (vm.getDisksList().stream().map(VirtualDisk::getPath).noneMatch(disk::equals)) {
        result.setUndoUnusable(true);
        throw new UndoJournalException("undo journal of " + disk + " is listed for VM "
            + vm.getName() + ", which no longer has that disk");
      }
    }
    try {
      result.setRollbackReport(driver.undo().check(vm.getId(), command.getUndoJournal(),
          disk -> vm.getDisksList().stream().filter(d -> d.getPath().equals(disk))
              .mapToLong(VirtualDisk::getVirtualSizeBytes).findFirst().orElse(-1)));
    } catch (UndoJournalException e) {
      result.setUndoUnusable(true);
      throw e;
    }
  }

  /** Deletes the VM's undo journals: its failback was committed. */
  public void discard(DiscardUndo command) throws IOException {
    driver.generations().admit(command.getVmId(), command.getGeneration());
    driver.undo().discard(command.getVmId(), command.getUndoJournal());
  }
}
