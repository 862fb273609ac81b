package io.failback.agent.grpc;

import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.agent.undo.UndoCommands;
import io.failback.proto.v1.ClearInconsistent;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.StartVm;
import io.failback.proto.v1.StopVm;
import java.io.IOException;

/**
 * The quick commands that act on one VM: each is admitted by the VM's generation (fencing),
 * then done on the stream's thread.
 */
final class VmCommands {
  private final GuardedHypervisor driver;
  private final UndoCommands undo;

  VmCommands(GuardedHypervisor driver, UndoCommands undo) {
    this.driver = driver;
    this.undo = undo;
  }

  void run(Command command) throws IOException {
    switch (command.getKindCase()) {
      case STOP_VM -> {
        StopVm stop = command.getStopVm();
        driver.generations().admit(stop.getVmId(), stop.getGeneration());
        driver.stopVm(stop.getVmId(), stop.getTurnOff());
      }
      case START_VM -> {
        StartVm start = command.getStartVm();
        driver.generations().admit(start.getVmId(), start.getGeneration());
        driver.startVm(start.getVmId());
      }
      case CLEAR_INCONSISTENT -> {
        ClearInconsistent clear = command.getClearInconsistent();
        driver.generations().admit(clear.getVmId(), clear.getGeneration());
        driver.marks().clear(clear.getVmId());
      }
      case DISCARD_UNDO -> undo.discard(command.getDiscardUndo());
      default -> throw new IllegalArgumentException(command.getKindCase() + " is no VM command");
    }
  }
}
