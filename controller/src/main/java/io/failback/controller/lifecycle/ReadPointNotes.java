package io.failback.controller.lifecycle;

import io.failback.controller.sync.SyncOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which disks the agent copied from which read point (on Hyper-V a recovery checkpoint the
 * operator may see come and go): the copy is the disks as they were at that moment; and how
 * long the sessions waited for it before their first read, which is part of the transfer's
 * time (and of a failover's downtime) that no link makes shorter.
 */
final class ReadPointNotes {
  private ReadPointNotes() {
  }

  /** One job step per read point, naming its disks. */
  static List<String> of(List<DiskTransfer.Disk> disks, List<SyncOutcome> outcomes) {
    Map<String, List<String>> byReadPoint = new LinkedHashMap<>();
    Map<String, Long> waited = new LinkedHashMap<>();
    for (int i = 0; i < outcomes.size(); i++) {
      String readPoint = outcomes.get(i).agent().getReadPoint();
      if (!readPoint.isEmpty()) {
        byReadPoint.computeIfAbsent(readPoint, id -> new ArrayList<>())
            .add(disks.get(i).onPremPath());
        waited.merge(readPoint, outcomes.get(i).agent().getReadPointMillis(), Math::max);
      }
    }
    List<String> notes = new ArrayList<>();
    byReadPoint.forEach((readPoint, paths) -> {
      long millis = waited.get(readPoint);
      // 0: every session went on reading a read point made for an earlier, interrupted pass.
      notes.add("disk" + (paths.size() > 1 ? "s " : " ") + String.join(", ", paths)
          + " copied as read point " + readPoint + " froze " + (paths.size() > 1 ? "them" : "it")
          + (millis == 0 ? "" : String.format(Locale.ROOT, " (the host took %.1f s to make it)",
              millis / 1000.0)));
    });
    return notes;
  }
}
