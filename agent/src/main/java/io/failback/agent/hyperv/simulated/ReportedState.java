package io.failback.agent.hyperv.simulated;

import io.failback.agent.hyperv.HyperVStates;
import io.failback.proto.v1.PowerState;

/** A VM's power state as the simulated host reports it, with the words shown to the operator. */
record ReportedState(PowerState power, String detail) {
  /** The state a Hyper-V state word ({@code Running}, {@code Off}, ...) stands for. */
  static ReportedState of(String hyperVWord) {
    return new ReportedState(HyperVStates.powerState(hyperVWord), hyperVWord);
  }
}
