package io.failback.controller.lifecycle;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors;
import io.failback.controller.store.ProtectedItemRecords;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.DiskTracking;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;
import java.util.function.Consumer;

/**
 * The VMs under Failback's care and their lifecycle, enforcing {@link Transitions}.
 *
 * <p>Every change is checked and written in one store transaction, so two callers racing to
 * move the same item cannot both succeed from the same state. Items come back with {@code
 * allowed_actions} filled in from their state.
 */
public final class ProtectedItems {
  private final ProtectedItemRecords records;
  private final Clock clock;

  public ProtectedItems(ProtectedItemRecords records, Clock clock) {
    this.records = requireNonNull(records, "records");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Starts caring for an on-prem VM: UNPROTECTED, generation 1.
   *
   * @throws IllegalTransitionException if the VM is already a protected item
   */
  public ProtectedItem create(String vmId, String vmName, String onPremHost)
      throws IllegalTransitionException, StoreException {
    checkArgument(!vmId.isBlank(), "VM id is blank");
    ProtectedItem item = ProtectedItem.newBuilder()
        .setVmId(vmId)
        .setVmName(requireNonNull(vmName, "vmName"))
        .setOnPremHost(requireNonNull(onPremHost, "onPremHost"))
        .setState(ProtectionState.UNPROTECTED)
        .setGeneration(1)
        .build();
    if (!records.insert(item, clock.instant())) {
      Optional<ProtectedItem> existing = records.get(vmId);
      // Only a concurrent delete could empty it, and items are never deleted.
      throw refusal("cannot create it again", existing.orElse(item));
    }
    return present(item);
  }

  /** The item of this VM (its id in any case). */
  public ProtectedItem get(String vmId) throws NotFoundException, StoreException {
    return present(records.get(vmId).orElseThrow(() -> notFound(vmId)));
  }

  /** Every item, sorted by VM name, then id. */
  public List<ProtectedItem> list() throws StoreException {
    return records.list().stream()
        .map(this::present)
        .sorted(Comparator.comparing(ProtectedItem::getVmName)
            .thenComparing(ProtectedItem::getVmId))
        .toList();
  }

  /**
   * Moves the item to {@code to}, applying {@code changes}, atomically.
   *
   * <p>{@code changes} may set any field except the VM id; the state, the generation (one more
   * when the active site moves) and the allowed actions are set here, and the inconsistent
   * reason is cleared once a failback has been verified (FAILED_BACK_COMMIT_PENDING).
   *
   * @param expectedFrom the state the caller saw, or null to accept any state the table allows
   * @throws IllegalTransitionException if the item is not in {@code expectedFrom}, the table
   *     forbids the move, or the move would hide that the on-prem disks are inconsistent
   * @throws IllegalArgumentException if {@code changes} alters the VM id, or the item enters
   *     FAILBACK_INCONSISTENT without a reason
   */
  public ProtectedItem transition(String vmId, ProtectionState expectedFrom, ProtectionState to,
      Consumer<ProtectedItem.Builder> changes)
      throws NotFoundException, IllegalTransitionException, StoreException {
    requireNonNull(to, "to");
    requireNonNull(changes, "changes");
    Optional<ProtectedItem> updated = records.update(vmId, clock.instant(), current -> {
      ProtectionState from = current.getState();
      if (expectedFrom != null && from != expectedFrom) {
        throw refusal("cannot move from " + expectedFrom + " to " + to, current);
      }
      if (!Transitions.isAllowed(from, to)) {
        throw refusal("cannot move to " + to, current);
      }
      ProtectedItem.Builder next = current.toBuilder();
      changes.accept(next);
      // A re-run failback that fails keeps the disks of the earlier run's partial sync, unless
      // the change clears the reason (a rollback put the disks back).
      if (to == ProtectionState.FAILED_OVER && !next.getInconsistentReason().isEmpty()) {
        throw refusal("cannot move to FAILED_OVER while the on-prem disks are inconsistent ("
            + current.getInconsistentReason() + "); move to FAILBACK_INCONSISTENT", current);
      }
      checkArgument(next.getVmId().equals(current.getVmId()),
          "the VM id of %s cannot change", subject(current));
      next.setState(to)
          .setGeneration(current.getGeneration()
              + (from != to && Transitions.changesActiveSite(to) ? 1 : 0))
          .clearAllowedActions();
      if (to == ProtectionState.FAILED_BACK_COMMIT_PENDING) {
        next.clearInconsistentReason();
      }
      if (to != ProtectionState.PROTECTED && !keepsFailbackTracking(from, to)) {
        // Out of PROTECTED the cloud copy may change (failover, failback): its digest sets no
        // longer describe it, so the next replication records them afresh.
        next.clearDiskTracking();
      }
      if (!Transitions.cloudCopyActive(to)) {
        // Kept while the cloud copy is active, across a failback that did not finish: its
        // runs wrote only blocks the cloud VM wrote since the failover (which a tracked phase
        // 1 sends again, every one) or blocks back to their baseline bytes.
        next.clearFailoverBaseline();
      }
      checkArgument(to != ProtectionState.FAILBACK_INCONSISTENT
          || !next.getInconsistentReason().isEmpty(),
          "%s enters FAILBACK_INCONSISTENT without an inconsistent_reason", subject(current));
      return next.build();
    });
    return present(updated.orElseThrow(() -> notFound(vmId)));
  }

  /**
   * Points the item at its on-prem VM on another host (failback to an alternate location); the
   * state does not change. The VM on the old host is no longer the item's.
   */
  public ProtectedItem relocate(String vmId, String host, String onPremVmId)
      throws NotFoundException, StoreException {
    checkArgument(!host.isBlank() && !onPremVmId.isBlank(), "host and VM id are required");
    return update(vmId,
        current -> current.toBuilder().setOnPremHost(host)
            .setOnPremVmId(onPremVmId.equalsIgnoreCase(current.getVmId()) ? "" : onPremVmId)
            .build());
  }

  /**
   * Replaces what the item remembers for tracked delta cycles, only while it is still in
   * {@code state}: a replication that raced with a move out of it must not leave tracking for
   * a cloud copy that may change.
   */
  public void recordTracking(String vmId, ProtectionState state, List<DiskTracking> tracking)
      throws NotFoundException, StoreException {
    recordTracking(vmId, state, tracking, OptionalInt.empty());
  }

  /**
   * As the other; {@code blockSize}, where present, becomes the VM's block size too (as stored:
   * 0 for the default), as its transfers had it.
   */
  public void recordTracking(String vmId, ProtectionState state, List<DiskTracking> tracking,
      OptionalInt blockSize) throws NotFoundException, StoreException {
    update(vmId,
        current -> current.getState() != state ? current
            : current.toBuilder().clearDiskTracking().addAllDiskTracking(tracking)
                .setBlockSize(blockSize.orElse(current.getBlockSize()))
                // Another size than the chosen one was asked for: it is the VM's now.
                .setBlockSizeChosen(current.getBlockSizeChosen() && blockSize.orElse(
                    current.getBlockSize()) == current.getBlockSize()).build());
  }

  /**
   * Keeps {@code stored} (0 for the default) as the block size the controller chose for the
   * VM's first copy, only while the item is still in {@code state} with nothing tracked: a
   * continued copy must use the blocks its durable checkpoints were made with.
   */
  public ProtectedItem chooseBlockSize(String vmId, ProtectionState state, int stored)
      throws NotFoundException, StoreException {
    return keepChosenBlockSize(vmId, stored,
        current -> current.getState() == state && current.getDiskTrackingCount() == 0);
  }

  /**
   * Keeps {@code stored} as the block size the controller chose for the VM's failback, before
   * its phase 1 (a checksum pass of every block, which records digest sets of that size); only
   * while it fails back and its size is the default: a size a job asked for, or one chosen
   * before, stays. Answers the item as it is after.
   */
  public ProtectedItem chooseFailbackBlockSize(String vmId, int stored)
      throws NotFoundException, StoreException {
    return keepChosenBlockSize(vmId, stored,
        current -> current.getState() == ProtectionState.FAILING_BACK
            && current.getBlockSize() == 0);
  }

  /** Keeps {@code stored} as the VM's chosen block size where {@code allowed}; the item after. */
  private ProtectedItem keepChosenBlockSize(String vmId, int stored,
      java.util.function.Predicate<ProtectedItem> allowed)
      throws NotFoundException, StoreException {
    return update(vmId,
        current -> !allowed.test(current) ? current
            : current.toBuilder().setBlockSize(stored).setBlockSizeChosen(stored != 0).build());
  }

  /**
   * A verified failback records the final state's digest sets and the agent's reference points;
   * the commit keeps that state as the seed of reverse replication, which may then send only
   * what the host's tracking reports. Anything else (a failed reverse replication, whose
   * half-made replica is gone) leaves tracking that no longer describes the seed.
   */
  private static boolean keepsFailbackTracking(ProtectionState from, ProtectionState to) {
    return from == ProtectionState.FAILED_BACK_COMMIT_PENDING && to == ProtectionState.FAILED_BACK
        || from == ProtectionState.FAILED_BACK && to == ProtectionState.REVERSE_REPLICATING;
  }

  /**
   * Records the time of the newest consistent cloud copy, which also clears a failed cycle's
   * error; the state does not change.
   */
  public ProtectedItem recordRecoveryPoint(String vmId, Instant at)
      throws NotFoundException, StoreException {
    return update(vmId,
        current -> current.toBuilder().setLastRecoveryPoint(
            com.google.protobuf.Timestamp.newBuilder().setSeconds(at.getEpochSecond())
                .setNanos(at.getNano())).clearLastCycleError().build());
  }

  /**
   * Records, before a replication's first write into the cloud replica, when it began and
   * whether undo journals keep what it overwrites ({@code undoable}); the time of an earlier
   * pass that never verified is kept (the replica may hold part of both), and the writes are
   * undoable only while every such pass's were.
   */
  public void replicaWriting(String vmId, Instant began, boolean undoable)
      throws NotFoundException, StoreException {
    update(vmId,
        current -> current.hasReplicaWrittenSince()
            ? current.toBuilder().setReplicaWritesUndoable(
                current.getReplicaWritesUndoable() && undoable).build()
            : current.toBuilder().setReplicaWritesUndoable(undoable)
                .setReplicaWrittenSince(com.google.protobuf.Timestamp.newBuilder()
                    .setSeconds(began.getEpochSecond()).setNanos(began.getNano())).build());
  }

  /** A replication verified the replica: it is the on-prem disks at one moment again. */
  public void replicaVerified(String vmId) throws NotFoundException, StoreException {
    update(vmId,
        current -> current.toBuilder().clearReplicaWrittenSince().clearReplicaWritesUndoable()
            .build());
  }

  /**
   * Checks that the item's state allows {@code action} now.
   *
   * @return the item as it is
   */
  public ProtectedItem requireAction(String vmId, OperatorAction action)
      throws NotFoundException, IllegalTransitionException, StoreException {
    ProtectedItem item = get(vmId);
    if (!actions(item).contains(action)) {
      throw refusal("cannot " + action.rpcName() + (rollbackDue(item) ? " (its on-prem disks"
          + " are about to be rolled back from their undo journals)" : item.hasDrill()
          ? " (its failback drill " + (item.getActiveJobId().isEmpty() ? "VM exists on host "
              + item.getDrill().getHost() + ": run CleanupTestFailback first)"
              : "job " + item.getActiveJobId() + " runs)") : ""), item);
    }
    return item;
  }

  /**
   * Checks an action given by RPC name, e.g. "Commit".
   *
   * @throws IllegalArgumentException if no action has this name
   */
  public ProtectedItem requireAction(String vmId, String rpcName)
      throws NotFoundException, IllegalTransitionException, StoreException {
    OperatorAction action = OperatorAction.ofRpcName(rpcName).orElseThrow(
        () -> new IllegalArgumentException("no operator action is called '" + rpcName + "'"));
    return requireAction(vmId, action);
  }

  /** Whether the on-prem VM may run now; false while the cloud copy is or may become active. */
  public boolean mayRunOnPrem(String vmId) throws NotFoundException, StoreException {
    return Transitions.onPremMayRun(get(vmId).getState());
  }

  /** Applies {@code change} to the stored item in one transaction; the item as it is after. */
  private ProtectedItem update(String vmId, UnaryOperator<ProtectedItem> change)
      throws NotFoundException, StoreException {
    return present(records.update(vmId, clock.instant(), change::apply)
        .orElseThrow(() -> notFound(vmId)));
  }

  /** The item as operators see it: allowed actions, RPO target, current RPO and warning. */
  private ProtectedItem present(ProtectedItem item) {
    return Rpo.present(item.toBuilder()
        .clearAllowedActions()
        .addAllAllowedActions(actions(item).stream().map(OperatorAction::rpcName).toList()),
        clock.instant()).build();
  }

  /** Sets the item's RPO target; nothing else changes. */
  public ProtectedItem setRpoTarget(String vmId, java.time.Duration target)
      throws NotFoundException, StoreException {
    return update(vmId,
        current -> current.toBuilder().setRpoTarget(
            com.google.protobuf.util.Durations.fromMillis(target.toMillis())).build());
  }

  /** Sets what the item's cloud VM's guest sees; nothing else changes. */
  public ProtectedItem setCloudDevices(String vmId, io.failback.proto.v1.CloudDevices devices)
      throws NotFoundException, StoreException {
    return update(vmId, current -> current.toBuilder().setCloudDevices(devices).build());
  }

  /**
   * Sets one of the item's warnings ({@code field}) in one transaction to what {@code warning}
   * gives for the item as read there; null leaves it as it is (the item moved on since).
   */
  public ProtectedItem updateWarning(String vmId, Descriptors.FieldDescriptor field,
      java.util.function.Function<ProtectedItem, String> warning)
      throws NotFoundException, StoreException {
    return update(vmId, current -> {
      String next = warning.apply(current);
      return next == null || next.equals(current.getField(field)) ? current
          : current.toBuilder().setField(field, next).build();
    });
  }

  /** Sets why the item's cloud copy may not boot by itself (empty: nothing found). */
  public ProtectedItem setBootWarning(String vmId, String warning)
      throws NotFoundException, StoreException {
    return update(vmId, current -> current.toBuilder().setBootWarning(warning).build());
  }

  /** The on-prem VM whose start was due runs ({@code DueOnPremStarts}); nothing else changes. */
  public ProtectedItem clearOnPremStartDue(String vmId) throws NotFoundException, StoreException {
    return update(vmId, current -> current.toBuilder().setOnPremStartDue(false).build());
  }

  /** A new reason for an item that stays FAILBACK_INCONSISTENT; other states keep theirs. */
  public ProtectedItem explainInconsistent(String vmId, String reason)
      throws NotFoundException, StoreException {
    return update(vmId,
        current -> current.getState() != ProtectionState.FAILBACK_INCONSISTENT ? current
            : current.toBuilder().setInconsistentReason(reason).build());
  }

  /** Why the last delta cycle failed, until one succeeds; not once a job moved the item on. */
  public ProtectedItem recordCycleError(String vmId, String error)
      throws NotFoundException, StoreException {
    String bounded = error.length() <= 1000 ? error : error.substring(0, 1000) + "…";
    return update(vmId, current -> current.getState() != ProtectionState.PROTECTED ? current
        : current.toBuilder().setLastCycleError(clock.instant() + ": " + bounded).build());
  }

  /** Whether the item waits for its on-prem disks to be rolled back (FailbackRollback). */
  static boolean rollbackDue(ProtectedItem item) {
    return item.getState() == ProtectionState.FAILBACK_INCONSISTENT
        && !item.getUndoJournal().isEmpty();
  }

  /**
   * What an operator may do now: nothing while a rollback is due, the disks are to change;
   * RollbackFailback again only once the one that runs has stopped; only CleanupTestFailback
   * while a failback drill's VM may exist; nothing while RestartCloudVm runs.
   */
  private static List<OperatorAction> actions(ProtectedItem item) {
    if (item.hasDrill()) {
      // The drill's job runs (CancelJob stops it), or its VM is there until cleaned up.
      return item.getActiveJobId().isEmpty() ? List.of(OperatorAction.CLEANUP_TEST_FAILBACK)
          : List.of();
    }
    if (!item.getActiveJobId().isEmpty() && Transitions.cloudCopyRests(item.getState())) {
      return List.of(); // A restart of the cloud VM runs: it is off for a moment.
    }
    ProtectionState state = item.getState();
    boolean held = !item.getActiveJobId().isEmpty() && (state
        == ProtectionState.FAILBACK_ROLLING_BACK || state == ProtectionState.DISABLING_PROTECTION);
    return rollbackDue(item) || held ? List.of()
        : Transitions.actions(item.getState());
  }

  private static IllegalTransitionException refusal(String refused, ProtectedItem item) {
    return new IllegalTransitionException(refused, subject(item), item.getState().name(),
        actions(item).stream().map(OperatorAction::rpcName).toList());
  }

  private static String subject(ProtectedItem item) {
    return item.getVmName().isEmpty() ? "vm " + item.getVmId()
        : "vm " + item.getVmName() + " (id " + item.getVmId() + ")";
  }

  private static NotFoundException notFound(String vmId) {
    return new NotFoundException("no protected item for vm id '" + vmId
        + "'; list them with ListProtectedItems, or enable protection first");
  }
}
