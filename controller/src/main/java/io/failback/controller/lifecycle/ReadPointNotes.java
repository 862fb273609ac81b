package io.failback.controller.lifecycle;

import io.failback.controller.sync.SyncOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which disks the agent copied from which read point (on Hyper-V a recovery checkpoint the
 * operator may see come and go): the copy is the disks as they were at that moment.
 */
final class ReadPointNotes {
  private ReadPointNotes() {
  }

  /** One job step per read point, naming its disks. */
  static List<String> of(List<DiskTransfer.Disk> disks, List<SyncOutcome> outcomes) {
    Map<String, List<String>> byReadPoint = new LinkedHashMap<>();
    for (int i = 0; i < outcomes.size(); i++) {
      String readPoint = outcomes.get(i).agent().getReadPoint();
      if (!readPoint.isEmpty()) {
        byReadPoint.computeIfAbsent(readPoint, id -> new ArrayList<>())
            .add(disks.get(i).onPremPath());
      }
    }
    List<String> notes = new ArrayList<>();
    byReadPoint.forEach((readPoint, paths) -> notes.add("disk"
        + (paths.size() > 1 ? "s " : " ") + String.join(", ", paths) + " copied as read point "
        + readPoint + " froze " + (paths.size() > 1 ? "them" : "it")));
    return notes;
  }
}
