package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.ProtectedItem;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs each protected item's RPO warning once when it appears or changes its reason, and once
 * when it clears: an operator's log shows when an item fell behind and why, not a line a tick.
 */
final class RpoWatch {
  private static final Logger log = LoggerFactory.getLogger(RpoWatch.class);

  private final ProtectedItems items;
  /** Each warning item's last logged reason, without the figures that change every tick. */
  private final Map<String, String> warned = new HashMap<>();

  RpoWatch(ProtectedItems items) {
    this.items = items;
  }

  synchronized void check() {
    try {
      Set<String> seen = new HashSet<>();
      for (ProtectedItem item : items.list()) {
        seen.add(item.getVmId());
        String warning = item.getRpoWarning();
        String kind = kind(warning);
        String before = warned.get(item.getVmId());
        if (!warning.isEmpty() && !kind.equals(before)) {
          log.warn("RPO of " + item.getVmName() + " (" + item.getVmId() + "): " + warning);
          warned.put(item.getVmId(), kind);
        } else if (warning.isEmpty() && before != null) {
          log.info("RPO of " + item.getVmName() + " (" + item.getVmId() + ") is within its"
              + " target again");
          warned.remove(item.getVmId());
        }
      }
      warned.keySet().retainAll(seen);
    } catch (StoreException e) {
      log.warn("RPO check skipped: " + e.getMessage());
    }
  }

  /** What a warning is about: exceeded, a failed cycle, or both. */
  private static String kind(String warning) {
    return (warning.contains("exceeds its target") ? "exceeded" : "")
        + (warning.contains("delta cycle failed") ? "+cycle" : "");
  }
}
