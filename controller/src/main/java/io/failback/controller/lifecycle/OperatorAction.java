package io.failback.controller.lifecycle;

import java.util.Arrays;
import java.util.Optional;

/** What an operator may ask of a protected item or a job, named after the RPC that asks it. */
public enum OperatorAction {
  ENABLE_PROTECTION("EnableProtection"),
  PLANNED_FAILOVER("PlannedFailover"),
  UNPLANNED_FAILOVER("UnplannedFailover"),
  COMPLETE_FAILOVER("CompleteFailover"),
  COMMIT("Commit"),
  ROLLBACK_FAILBACK("RollbackFailback"),
  TEST_FAILBACK("TestFailback"),
  CLEANUP_TEST_FAILBACK("CleanupTestFailback"),
  REVERSE_REPLICATE("ReverseReplicate"),
  RESTART_CLOUD_VM("RestartCloudVm"),
  DISABLE_PROTECTION("DisableProtection"),
  CANCEL_JOB("CancelJob"),
  RESUME_JOB("ResumeJob");

  private final String rpcName;

  OperatorAction(String rpcName) {
    this.rpcName = rpcName;
  }

  /** The RPC's name as it appears in {@code allowed_actions} and in a job's {@code kind}. */
  public String rpcName() {
    return rpcName;
  }

  /** The action with this RPC name, e.g. "Commit". */
  public static Optional<OperatorAction> ofRpcName(String rpcName) {
    return Arrays.stream(values()).filter(a -> a.rpcName.equals(rpcName)).findFirst();
  }

  @Override
  public String toString() {
    return rpcName;
  }
}
