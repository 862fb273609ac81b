package io.failback.controller.lifecycle;

import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Walks test items to a given state along legal transitions. */
final class LifecyclePaths {

  private LifecyclePaths() {}

  /** The shortest path of states from UNPROTECTED to {@code target}, excluding UNPROTECTED. */
  static List<ProtectionState> pathTo(ProtectionState target) {
    Map<ProtectionState, ProtectionState> previous = new EnumMap<>(ProtectionState.class);
    Deque<ProtectionState> queue = new ArrayDeque<>(List.of(ProtectionState.UNPROTECTED));
    previous.put(ProtectionState.UNPROTECTED, ProtectionState.UNPROTECTED);
    while (!queue.isEmpty()) {
      ProtectionState state = queue.removeFirst();
      for (ProtectionState next : Transitions.next(state)) {
        if (previous.putIfAbsent(next, state) == null) {
          queue.addLast(next);
        }
      }
    }
    List<ProtectionState> path = new ArrayList<>();
    for (ProtectionState s = target; s != ProtectionState.UNPROTECTED; s = previous.get(s)) {
      path.add(s);
    }
    Collections.reverse(path);
    return path;
  }

  /** Creates an item and moves it to {@code target}. */
  static ProtectedItem itemIn(ProtectedItems items, String vmId, ProtectionState target)
      throws Exception {
    ProtectedItem item = items.create(vmId, "web-" + vmId, "hv01");
    for (ProtectionState state : pathTo(target)) {
      item = items.transition(vmId, item.getState(), state, changesFor(state));
    }
    return item;
  }

  /**
   * What a runner changes on entering {@code to}: a reason when the disks become inconsistent;
   * none once a rollback put them back (FAILED_OVER).
   */
  static Consumer<ProtectedItem.Builder> changesFor(ProtectionState to) {
    return to == ProtectionState.FAILBACK_INCONSISTENT
        ? item -> item.setInconsistentReason("sync cancelled after on-prem writes")
        : to == ProtectionState.FAILED_OVER ? ProtectedItem.Builder::clearInconsistentReason
        : item -> { };
  }
}
