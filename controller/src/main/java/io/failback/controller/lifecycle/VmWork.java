package io.failback.controller.lifecycle;

import java.util.List;

/**
 * One VM's part of a lifecycle job. {@link VmJob} runs the stages for every VM of the job:
 * {@link #begin} in the operator's RPC, then {@link #prepare} (all VMs in parallel), an
 * optional wait for CompleteFailover, {@link #stopSource} in reverse group order,
 * {@link #transfer} (in parallel), and {@link #startTarget} group by group. An action that
 * moves no active site does its work in {@link #transfer} and finishes in
 * {@link #startTarget}.
 *
 * <p>A stage that throws fails this VM only: the job calls {@link #abandon} once, after the
 * VM's work has stopped, and goes on with the others as far as the groups allow.
 */
interface VmWork {
  String vmId();

  /** How operators know the VM, for steps and errors. */
  String vmName();

  /** The disks the job syncs for this VM (a task each), maybe none. */
  List<String> diskPaths();

  /** The on-prem host the work acts on, for the logs' {@code host} field; empty for none. */
  default String host() {
    return "";
  }

  /**
   * Checks once more and moves the item into the job's transient state, naming the job; runs
   * in the RPC, so a refusal reaches the operator.
   */
  void begin(String jobId) throws Exception;

  /** Work that runs while the source VM keeps running: phase 1 of a failback. */
  default void prepare() throws Exception {}

  /** Stops the copy that was active, in reverse group order. */
  default void stopSource() throws Exception {}

  /**
   * When this VM's source copy began to stop, its downtime's start; null while it has not.
   * After work {@link #stopSource} ran first (a failback's verify pass) it is later than
   * that stage's start.
   */
  default java.time.Instant sourceStoppingSince() {
    return null;
  }

  /** Moves the data, after the source stopped. */
  default void transfer() throws Exception {}

  /** Starts the copy on the target side; the item reaches the action's end state. */
  void startTarget() throws Exception;

  /**
   * While the job waits for CompleteFailover: what this VM's stop, phase 2 and start would
   * cost now, for the job's downtime prediction; empty when it predicts none.
   */
  default java.util.Optional<DowntimeForecast.Costs> downtimeCosts() throws Exception {
    return java.util.Optional.empty();
  }

  /**
   * The VM will not finish: leaves it where an operator can act again, never with two live
   * copies and never quietly healthy after a partial write. Must not throw.
   *
   * @param why what stopped it, for the item and the job
   * @param cancelled whether the operator cancelled the job
   * @return where that leaves the VM, for the operator, e.g. "the item is PROTECTED again"
   */
  String abandon(String why, boolean cancelled);
}
