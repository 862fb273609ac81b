package io.failback.agent.hyperv.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The reference points that target sessions make once their writes are on disk (phase 1 of a
 * failback), one per VM: made when the last of the VM's overlapping sessions has finished
 * writing, for all the disks they wrote.
 *
 * <p>On Hyper-V a reference point is a checkpoint of the whole VM: made while the agent still
 * writes another disk of it, it would be refused or, worse, freeze a disk half-written. Waiting
 * for the last writer also makes one checkpoint instead of one per disk.
 */
public final class AfterWriteReferences {
  private final ReadPoints readPoints;
  /** By lower-case VM id: the sessions writing now. */
  private final Map<String, Group> writing = new HashMap<>();
  /** Lower-case ids of the VMs whose reference point is being made. */
  private final Set<String> making = new HashSet<>();

  public AfterWriteReferences(ReadPoints readPoints) {
    this.readPoints = readPoints;
  }

  /**
   * A target session of VM {@code vmId} that wants a reference point starts writing; waits
   * while one of the VM is being made, so that no disk of it is written meanwhile.
   */
  public synchronized void starting(String vmId) throws InterruptedException {
    String key = vmId.toLowerCase(Locale.ROOT);
    while (making.contains(key)) {
      wait();
    }
    writing.computeIfAbsent(key, k -> new Group()).writers++;
  }

  /**
   * The session that called {@link #starting} has ended, having written {@code diskPath}
   * completely or not. The last one makes the reference point; a session that wrote waits for
   * it and gets its disk's reference ("" when none could be made), one that failed does not
   * wait and gets "".
   */
  public String finished(String vmId, String diskPath, boolean wrote)
      throws InterruptedException {
    Group group;
    boolean last;
    String key = vmId.toLowerCase(Locale.ROOT);
    synchronized (this) {
      group = writing.get(key);
      if (wrote) {
        group.written.add(diskPath);
      }
      last = --group.writers == 0;
      if (last) {
        writing.remove(key);
        making.add(key);
      }
    }
    if (last) {
      Map<String, String> references = Map.of();
      try {
        if (!group.written.isEmpty()) {
          references = readPoints.referencePoint(vmId, group.written);
        }
      } finally {
        synchronized (this) {
          making.remove(key);
          notifyAll();
        }
        group.done(references);
      }
    }
    return wrote ? group.await().getOrDefault(diskPath, "") : "";
  }

  private static final class Group {
    /** Guarded by the enclosing instance until the group is done. */
    int writers;
    final List<String> written = new ArrayList<>();
    private Map<String, String> references;

    synchronized void done(Map<String, String> made) {
      references = made;
      notifyAll();
    }

    synchronized Map<String, String> await() throws InterruptedException {
      while (references == null) {
        wait();
      }
      return references;
    }
  }
}
