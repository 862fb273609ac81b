package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.OperatorAction.CANCEL_JOB;
import static io.failback.controller.lifecycle.OperatorAction.COMMIT;
import static io.failback.controller.lifecycle.OperatorAction.COMPLETE_FAILOVER;
import static io.failback.controller.lifecycle.OperatorAction.DISABLE_PROTECTION;
import static io.failback.controller.lifecycle.OperatorAction.ENABLE_PROTECTION;
import static io.failback.controller.lifecycle.OperatorAction.PLANNED_FAILOVER;
import static io.failback.controller.lifecycle.OperatorAction.RESTART_CLOUD_VM;
import static io.failback.controller.lifecycle.OperatorAction.REVERSE_REPLICATE;
import static io.failback.controller.lifecycle.OperatorAction.ROLLBACK_FAILBACK;
import static io.failback.controller.lifecycle.OperatorAction.TEST_FAILBACK;
import static io.failback.controller.lifecycle.OperatorAction.UNPLANNED_FAILOVER;
import static io.failback.proto.v1.ProtectionState.DISABLING_PROTECTION;
import static io.failback.proto.v1.ProtectionState.FAILBACK_COMPLETING;
import static io.failback.proto.v1.ProtectionState.FAILBACK_INCONSISTENT;
import static io.failback.proto.v1.ProtectionState.FAILBACK_ROLLING_BACK;
import static io.failback.proto.v1.ProtectionState.FAILBACK_SYNCED;
import static io.failback.proto.v1.ProtectionState.FAILED_BACK;
import static io.failback.proto.v1.ProtectionState.FAILED_BACK_COMMIT_PENDING;
import static io.failback.proto.v1.ProtectionState.FAILED_OVER;
import static io.failback.proto.v1.ProtectionState.FAILED_OVER_COMMIT_PENDING;
import static io.failback.proto.v1.ProtectionState.FAILING_BACK;
import static io.failback.proto.v1.ProtectionState.FAILING_OVER;
import static io.failback.proto.v1.ProtectionState.INITIAL_REPLICATION;
import static io.failback.proto.v1.ProtectionState.PROTECTED;
import static io.failback.proto.v1.ProtectionState.REVERSE_REPLICATING;
import static io.failback.proto.v1.ProtectionState.UNPROTECTED;

import io.failback.proto.v1.ProtectionState;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The protected-item state machine: which {@link ProtectionState} may follow which, and which
 * operator actions each state allows (DESIGN.md, "The lifecycle").
 *
 * <pre>
 * state                       next states                                  operator actions
 * UNPROTECTED                 INITIAL_REPLICATION; DISABLING_PROTECTION    EnableProtection,
 *                                                                          DisableProtection
 * INITIAL_REPLICATION         PROTECTED; UNPROTECTED on failure            CancelJob
 * PROTECTED                   FAILING_OVER; DISABLING_PROTECTION           PlannedFailover,
 *                                                                          UnplannedFailover,
 *                                                                          DisableProtection
 * FAILING_OVER                FAILED_OVER_COMMIT_PENDING; PROTECTED on     CancelJob
 *                             failure
 * FAILED_OVER_COMMIT_PENDING  FAILED_OVER; itself (RestartCloudVm)         Commit,
 *                                                                          RestartCloudVm
 * FAILED_OVER                 FAILING_BACK; itself (a failback drill,      PlannedFailover,
 *                             TestFailback, keeps the item FAILED_OVER;    TestFailback,
 *                             while its VM exists only                     RestartCloudVm,
 *                             CleanupTestFailback is allowed; and          DisableProtection
 *                             RestartCloudVm); DISABLING_PROTECTION        (keep_cloud_vm)
 *                             (the cloud VM kept, Failback's no more)
 * FAILING_BACK                FAILBACK_SYNCED (sync before failover);      CancelJob
 *                             FAILED_BACK_COMMIT_PENDING (full download);
 *                             FAILED_OVER on failure or cancel (before any
 *                             on-prem write, or once the undo journals put
 *                             the disks back); FAILBACK_INCONSISTENT when
 *                             that rollback is impossible or still due
 * FAILBACK_SYNCED             FAILBACK_COMPLETING; FAILED_OVER or          CompleteFailover,
 *                             FAILBACK_INCONSISTENT as above               CancelJob
 * FAILBACK_COMPLETING         FAILED_BACK_COMMIT_PENDING; FAILED_OVER or   CancelJob
 *                             FAILBACK_INCONSISTENT as above
 * FAILBACK_INCONSISTENT       FAILING_BACK (the re-run resumes the sync);  PlannedFailover,
 *                             FAILED_OVER once a due rollback is done;     RestartCloudVm
 *                             itself (RestartCloudVm)
 * FAILED_BACK_COMMIT_PENDING  FAILED_BACK; FAILBACK_ROLLING_BACK           Commit,
 *                                                                          RollbackFailback
 * FAILBACK_ROLLING_BACK       FAILED_OVER; FAILED_BACK_COMMIT_PENDING      RollbackFailback
 *                             (nothing written on-prem yet); itself (a     (when no job runs)
 *                             re-run); FAILBACK_INCONSISTENT (only the
 *                             journals' rollback left, due)
 * FAILED_BACK                 REVERSE_REPLICATING; DISABLING_PROTECTION    ReverseReplicate,
 *                                                                          DisableProtection
 * REVERSE_REPLICATING         PROTECTED; FAILED_BACK on failure            CancelJob
 * DISABLING_PROTECTION        UNPROTECTED; itself (a re-run finishes what  DisableProtection
 *                             a failed or interrupted one began)           (when no job runs)
 * </pre>
 *
 * <p>Entering FAILED_OVER_COMMIT_PENDING, FAILED_BACK_COMMIT_PENDING or FAILBACK_ROLLING_BACK
 * (from another state) moves the active site, which increments the item's generation.
 */
public final class Transitions {

  private record Rule(Set<ProtectionState> next, Map<OperatorAction, ProtectionState> actions) {}

  private record Act(OperatorAction action, ProtectionState enters) {}

  /** Marks an action that does not move the item itself: the job it stops decides where. */
  private static final ProtectionState JOB_DECIDES = ProtectionState.PROTECTION_STATE_UNSPECIFIED;

  private static final Map<ProtectionState, Rule> RULES = new EnumMap<>(ProtectionState.class);

  static {
    // The table above, as code; each action's state must be one of the next states.
    rule(UNPROTECTED, EnumSet.of(INITIAL_REPLICATION, DISABLING_PROTECTION),
        on(ENABLE_PROTECTION, INITIAL_REPLICATION), on(DISABLE_PROTECTION, DISABLING_PROTECTION));
    rule(INITIAL_REPLICATION, EnumSet.of(PROTECTED, UNPROTECTED),
        cancel());
    rule(PROTECTED, EnumSet.of(FAILING_OVER, DISABLING_PROTECTION),
        on(PLANNED_FAILOVER, FAILING_OVER), on(UNPLANNED_FAILOVER, FAILING_OVER),
        on(DISABLE_PROTECTION, DISABLING_PROTECTION));
    rule(FAILING_OVER, EnumSet.of(FAILED_OVER_COMMIT_PENDING, PROTECTED),
        cancel());
    rule(FAILED_OVER_COMMIT_PENDING, EnumSet.of(FAILED_OVER, FAILED_OVER_COMMIT_PENDING),
        on(COMMIT, FAILED_OVER), on(RESTART_CLOUD_VM, FAILED_OVER_COMMIT_PENDING));
    rule(FAILED_OVER, EnumSet.of(FAILING_BACK, FAILED_OVER, DISABLING_PROTECTION),
        on(PLANNED_FAILOVER, FAILING_BACK), on(TEST_FAILBACK, FAILED_OVER),
        on(RESTART_CLOUD_VM, FAILED_OVER), on(DISABLE_PROTECTION, DISABLING_PROTECTION));
    rule(FAILING_BACK,
        EnumSet.of(FAILBACK_SYNCED, FAILED_BACK_COMMIT_PENDING, FAILBACK_INCONSISTENT, FAILED_OVER),
        cancel());
    rule(FAILBACK_SYNCED, EnumSet.of(FAILBACK_COMPLETING, FAILBACK_INCONSISTENT, FAILED_OVER),
        on(COMPLETE_FAILOVER, FAILBACK_COMPLETING), cancel());
    rule(FAILBACK_COMPLETING,
        EnumSet.of(FAILED_BACK_COMMIT_PENDING, FAILBACK_INCONSISTENT, FAILED_OVER),
        cancel());
    rule(FAILBACK_INCONSISTENT, EnumSet.of(FAILING_BACK, FAILED_OVER, FAILBACK_INCONSISTENT),
        on(PLANNED_FAILOVER, FAILING_BACK), on(RESTART_CLOUD_VM, FAILBACK_INCONSISTENT));
    rule(FAILED_BACK_COMMIT_PENDING, EnumSet.of(FAILED_BACK, FAILBACK_ROLLING_BACK),
        on(COMMIT, FAILED_BACK), on(ROLLBACK_FAILBACK, FAILBACK_ROLLING_BACK));
    rule(FAILBACK_ROLLING_BACK, EnumSet.of(FAILED_OVER, FAILED_BACK_COMMIT_PENDING,
        FAILBACK_ROLLING_BACK, FAILBACK_INCONSISTENT),
        on(ROLLBACK_FAILBACK, FAILBACK_ROLLING_BACK));
    rule(FAILED_BACK, EnumSet.of(REVERSE_REPLICATING, DISABLING_PROTECTION),
        on(REVERSE_REPLICATE, REVERSE_REPLICATING), on(DISABLE_PROTECTION, DISABLING_PROTECTION));
    rule(REVERSE_REPLICATING, EnumSet.of(PROTECTED, FAILED_BACK),
        cancel());
    rule(DISABLING_PROTECTION, EnumSet.of(UNPROTECTED, DISABLING_PROTECTION),
        on(DISABLE_PROTECTION, DISABLING_PROTECTION));
  }

  /** States in which the active site is the cloud or in doubt, so the on-prem VM must not run. */
  private static final Set<ProtectionState> ON_PREM_FENCED =
      // FAILING_OVER too: the cloud VM may start at any moment of a failover.
      Collections.unmodifiableSet(EnumSet.of(FAILING_OVER, FAILED_OVER_COMMIT_PENDING,
          FAILED_OVER, FAILING_BACK, FAILBACK_SYNCED, FAILBACK_COMPLETING,
          FAILBACK_INCONSISTENT, FAILBACK_ROLLING_BACK));

  private Transitions() {}

  /** The lifecycle states, in declaration order, without the proto's sentinels. */
  public static Set<ProtectionState> states() {
    return Collections.unmodifiableSet(RULES.keySet());
  }

  /**
   * Whether the cloud copy is the active one and no failback moves it (one that failed left the
   * item FAILBACK_INCONSISTENT, its cloud VM running again): its cloud VM should run, and an
   * action on it alone (RestartCloudVm) keeps the item there, naming its job.
   */
  public static boolean cloudCopyRests(ProtectionState state) {
    return state == FAILED_OVER_COMMIT_PENDING || state == FAILED_OVER
        || state == FAILBACK_INCONSISTENT;
  }

  /** Whether an item may move from {@code from} to {@code to}. */
  public static boolean isAllowed(ProtectionState from, ProtectionState to) {
    Rule rule = RULES.get(from);
    return rule != null && rule.next().contains(to);
  }

  /** The states that may follow {@code from}; empty for a sentinel. */
  public static Set<ProtectionState> next(ProtectionState from) {
    Rule rule = RULES.get(from);
    return rule == null ? Set.of() : Collections.unmodifiableSet(rule.next());
  }

  /** The operator actions {@code state} allows, in the table's order. */
  public static List<OperatorAction> actions(ProtectionState state) {
    Rule rule = RULES.get(state);
    return rule == null ? List.of() : List.copyOf(rule.actions().keySet());
  }

  /** The RPC names of {@link #actions}, as reported in {@code allowed_actions}. */
  public static List<String> actionNames(ProtectionState state) {
    return actions(state).stream().map(OperatorAction::rpcName).toList();
  }

  /**
   * The state that {@code action} moves an item in {@code state} to; empty if the action is not
   * allowed there, or if it stops a job that then decides where the item goes ({@code
   * CancelJob}).
   */
  public static Optional<ProtectionState> entered(ProtectionState state, OperatorAction action) {
    Rule rule = RULES.get(state);
    ProtectionState to = rule == null ? null : rule.actions().get(action);
    return to == null || to == JOB_DECIDES ? Optional.empty() : Optional.of(to);
  }

  /** Whether entering {@code to} moves the active site, so the generation grows. */
  public static boolean changesActiveSite(ProtectionState to) {
    return to == FAILED_OVER_COMMIT_PENDING || to == FAILED_BACK_COMMIT_PENDING
        || to == FAILBACK_ROLLING_BACK;
  }

  /**
   * Whether in {@code state} the cloud VM a failover started is still the item's active copy,
   * or the one a failback under way comes from: its failover baseline still describes it.
   */
  public static boolean cloudCopyActive(ProtectionState state) {
    return EnumSet.of(FAILED_OVER_COMMIT_PENDING, FAILED_OVER, FAILING_BACK, FAILBACK_SYNCED,
        FAILBACK_COMPLETING, FAILBACK_INCONSISTENT, FAILBACK_ROLLING_BACK).contains(state);
  }

  /** Whether the on-prem VM may run (or be started) in {@code state}. */
  public static boolean onPremMayRun(ProtectionState state) {
    return RULES.containsKey(state) && !ON_PREM_FENCED.contains(state);
  }

  private static Act on(OperatorAction action, ProtectionState enters) {
    return new Act(action, enters);
  }

  private static Act cancel() {
    return new Act(CANCEL_JOB, JOB_DECIDES);
  }

  private static void rule(ProtectionState state, Set<ProtectionState> next, Act... acts) {
    Map<OperatorAction, ProtectionState> byAction = new LinkedHashMap<>();
    for (Act act : acts) {
      if (act.enters() != JOB_DECIDES && !next.contains(act.enters())) {
        throw new AssertionError(act.action() + " in " + state + " enters " + act.enters()
            + ", which is not a next state");
      }
      byAction.put(act.action(), act.enters());
    }
    RULES.put(state, new Rule(next, byAction));
  }
}
