package io.failback.controller.lifecycle;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.failback.common.text.DurationText;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An item's recovery point objective as the operator sees it: the target (15 minutes unless
 * set), the current RPO while replication keeps the cloud copy current, and the warning when
 * the target is exceeded or the last delta cycle failed.
 */
public final class Rpo {
  private static final Logger log = LoggerFactory.getLogger(Rpo.class);
  /** What an item's target is until an operator sets one. */
  public static final Duration DEFAULT_TARGET = Duration.ofMinutes(15);
  static final Duration MIN_TARGET = Duration.ofMinutes(1);
  static final Duration MAX_TARGET = Duration.ofDays(30);

  /** The states in which replication keeps the cloud copy current. */
  public static final Set<ProtectionState> REPLICATING =
      EnumSet.of(ProtectionState.PROTECTED, ProtectionState.REVERSE_REPLICATING);

  private Rpo() {}

  /** The item with its target filled in and its current RPO and warning as of {@code now}. */
  static ProtectedItem.Builder present(ProtectedItem.Builder item, Instant now) {
    if (!item.hasRpoTarget()) {
      item.setRpoTarget(Durations.fromMillis(DEFAULT_TARGET.toMillis()));
    }
    item.clearCurrentRpo().clearRpoWarning();
    if (!REPLICATING.contains(item.getState())) {
      return item;
    }
    Duration target = Duration.ofMillis(Durations.toMillis(item.getRpoTarget()));
    String warning = "";
    if (item.hasLastRecoveryPoint()) {
      Duration current = Duration.between(Instant.ofEpochMilli(
          Timestamps.toMillis(item.getLastRecoveryPoint())), now);
      if (current.isNegative()) {
        current = Duration.ZERO;
      }
      item.setCurrentRpo(Durations.fromMillis(current.toMillis()));
      if (current.compareTo(target) > 0) {
        warning = "RPO " + DurationText.format(current.truncatedTo(ChronoUnit.SECONDS))
            + " exceeds its target " + DurationText.format(target) + " (last recovery point "
            + Timestamps.toString(item.getLastRecoveryPoint()) + ")";
      }
    }
    if (!item.getLastCycleError().isEmpty()) {
      warning = (warning.isEmpty() ? "" : warning + "; ") + "the last delta cycle failed: "
          + item.getLastCycleError();
    }
    if (item.hasReplicaWrittenSince() && !item.getReplicaWritesUndoable()) {
      // What an unplanned failover would start from now, said before anyone needs it. Not
      // while undo journals keep the recovery point: every cycle in flight would raise it.
      warning = (warning.isEmpty() ? "" : warning + "; ") + "the replica holds part of a"
          + " replication begun at " + Timestamps.toString(item.getReplicaWrittenSince())
          + " that never verified it: it is not the last recovery point until a cycle succeeds";
    }
    return item.setRpoWarning(warning);
  }

  /**
   * Checks an operator's target.
   *
   * @throws InvalidArgumentException naming the bounds
   */
  /** Sets the target of every item named once each exists and the target is in bounds. */
  static List<ProtectedItem> setTargets(ProtectedItems items, List<String> vmIds,
      Duration target) throws InvalidArgumentException, NotFoundException, StoreException {
    checkTarget(target);
    for (String vmId : vmIds) {
      items.get(vmId);
    }
    List<ProtectedItem> changed = new ArrayList<>();
    for (String vmId : vmIds) {
      changed.add(items.setRpoTarget(vmId, target));
      log.info("RPO target of " + vmId + " is now " + DurationText.format(target));
    }
    return changed;
  }

  static Duration checkTarget(Duration target) throws InvalidArgumentException {
    if (target.compareTo(MIN_TARGET) < 0 || target.compareTo(MAX_TARGET) > 0) {
      throw new InvalidArgumentException("rpo_target must be from 1 minute to 30 days, got "
          + target);
    }
    return target;
  }
}
