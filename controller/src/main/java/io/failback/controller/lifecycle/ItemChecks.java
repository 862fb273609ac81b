package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.stream.Collectors;

/** The items' side of starting an action on many VMs, and of a controller restart. */
final class ItemChecks {
  private static final Logger log = LoggerFactory.getLogger(ItemChecks.class);

  private ItemChecks() {}

  /**
   * Checks that every VM is a protected item whose state allows {@code action}; refuses the
   * whole request, naming every VM that cannot, before anything changes.
   *
   * @return the items, by their own VM id, in the order of {@code targets}
   */
  static Map<String, ProtectedItem> require(LifecycleContext context, Targets targets,
      OperatorAction action) throws Exception {
    Map<String, ProtectedItem> items = new LinkedHashMap<>();
    List<Exception> refusals = new ArrayList<>();
    for (String vmId : targets.vmIds()) {
      try {
        ProtectedItem item = context.items().requireAction(vmId, action);
        if (items.put(item.getVmId(), item) != null) {
          throw new LifecycleException("vm " + vmId + " is named twice");
        }
      } catch (NotFoundException | IllegalTransitionException | LifecycleException e) {
        refusals.add(e);
      }
    }
    if (refusals.size() == 1) {
      throw refusals.get(0);
    }
    if (!refusals.isEmpty()) {
      throw new LifecycleException(refusals.size() + " of " + targets.vmIds().size()
          + " VMs cannot " + action.rpcName() + ": " + refusals.stream()
              .map(Exception::getMessage).collect(Collectors.joining("; ")));
    }
    return items;
  }

  /**
   * Refuses {@code action} while a Commit of {@code item} runs: the item stays
   * FAILED_BACK_COMMIT_PENDING meanwhile, and the commit is writing the seed and deleting the
   * cloud VM.
   */
  static void refuseWhileCommitRuns(LifecycleContext context, ProtectedItem item,
      OperatorAction action) throws StoreException, IllegalTransitionException {
    for (io.failback.proto.v1.Job other : context.jobs().list(item.getVmId())) {
      if (other.getKind().equals(OperatorAction.COMMIT.rpcName())
          && !JobTransitions.isTerminal(other.getState())) {
        throw new IllegalTransitionException("cannot " + action.rpcName() + " (commit job "
            + other.getId() + " is running)", "vm " + item.getVmName() + " (id "
            + item.getVmId() + ")", item.getState().name(), List.of());
      }
    }
  }

  /**
   * After a restart: items left in a transient state by a job that is not continued move to
   * where an operator can act again. A failback caught mid-way is INCONSISTENT, never quietly
   * healthy.
   *
   * @param continued the ids of the jobs that go on; their items stay as they are
   */
  static void recover(LifecycleContext context, java.util.Set<String> continued)
      throws StoreException {
    for (ProtectedItem item : context.items().list()) {
      String job = item.getActiveJobId();
      if (!job.isEmpty() && continued.contains(job)) {
        continue;
      }
      ProtectionState back = switch (item.getState()) {
        case INITIAL_REPLICATION -> ProtectionState.UNPROTECTED;
        case FAILING_OVER -> ProtectionState.PROTECTED;
        case REVERSE_REPLICATING -> ProtectionState.FAILED_BACK;
        case FAILING_BACK, FAILBACK_SYNCED, FAILBACK_COMPLETING ->
            ProtectionState.FAILBACK_INCONSISTENT;
        // Released to the operator, who runs RollbackFailback again.
        case FAILBACK_ROLLING_BACK -> ProtectionState.FAILBACK_ROLLING_BACK;
        // Released too: a re-run of DisableProtection finishes the deletions.
        case DISABLING_PROTECTION -> job.isEmpty() ? null : ProtectionState.DISABLING_PROTECTION;
        default -> null;
      };
      if (back == null) {
        if (item.hasDrill() && !job.isEmpty()) {
          // The drill's VM may exist, half made: CleanupTestFailback removes whatever is left.
          FlowSupport.quietly("releasing the drill of " + item.getVmName(), () -> context
              .items().transition(item.getVmId(), item.getState(), item.getState(),
                  b -> b.clearActiveJobId().getDrillBuilder().setFailure("the controller"
                      + " restarted during drill job " + job + "; run CleanupTestFailback")));
        }
        if (!item.hasDrill() && !job.isEmpty() && Transitions.cloudCopyRests(item.getState())) {
          CloudVmRestart.recover(context, item);
        }
        if (ProtectedItems.rollbackDue(item)) {
          // A failback that failed as the controller stopped left its rollback due: the
          // on-prem VM stays fenced until then, so the cloud copy runs meanwhile.
          runCloudVm(context, item);
        }
        continue;
      }
      FlowSupport.quietly("recovering " + item.getVmName(), () -> context.items().transition(
          item.getVmId(), item.getState(), back, b -> {
            b.clearActiveJobId();
            if (back == ProtectionState.FAILBACK_INCONSISTENT) {
              b.setInconsistentReason(item.getUndoJournal().isEmpty()
                  ? "the controller restarted during failback job " + job + "; the on-prem"
                      + " disks may mix old and new blocks. Re-run PlannedFailover"
                  : "the controller restarted during failback job " + job + "; the on-prem"
                      + " disks are rolled back from their undo journals as soon as host "
                      + item.getOnPremHost() + " answers");
            }
          }));
      log.warn(item.getVmName() + " was " + item.getState() + " when the controller"
          + " stopped; now " + back);
      if (back == ProtectionState.FAILBACK_INCONSISTENT) {
        // Phase 2 or a full download had stopped it: the on-prem VM is fenced, so the cloud
        // copy is the one that must run, now, not after an operator's re-run.
        runCloudVm(context, item);
      }
    }
  }

  private static void runCloudVm(LifecycleContext context, ProtectedItem item) {
    FlowSupport.quietly("restarting the cloud VM of " + item.getVmName(), () -> FlowSupport
        .startUnlessRunning(context.cloud(), item.getCloudVmId()).ifPresent(notes ->
            log.warn(item.getVmName() + ": cloud VM " + item.getCloudVmId()
                + " started again (the interrupted failback had stopped it)" + notes)));
  }

  /** The names of the VMs among {@code items} that are PROTECTED, or of those that are not. */
  static String names(Map<String, ProtectedItem> items, boolean protectedOnes) {
    return items.values().stream()
        .filter(i -> (i.getState() == ProtectionState.PROTECTED) == protectedOnes)
        .map(ProtectedItem::getVmName).collect(Collectors.joining(", "));
  }
}
