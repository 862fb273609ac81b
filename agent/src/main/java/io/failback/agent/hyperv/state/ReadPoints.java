package io.failback.agent.hyperv.state;

import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.hyperv.ReadPoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read points this agent has open, one per VM, shared by the source sessions of its disks.
 *
 * <p>Sessions of one VM's disks that overlap read the same read point, so the disks they copy
 * belong to one moment. It ends when the last of them leaves: kept as the next reference point
 * if any of them read its disk completely, else discarded. Each open read point is recorded on
 * the agent's disk before it is used, so one left by a crash is discarded at the next start (on
 * Hyper-V the guest would otherwise write into a growing checkpoint file for ever).
 */
public final class ReadPoints {
  private static final Logger log = LoggerFactory.getLogger(ReadPoints.class);

  private final HypervisorDriver driver;
  private final Path dir;
  /** By lower-case VM id: the read point sessions join now, or the one ending. */
  private final Map<String, Shared> open = new HashMap<>();
  /** Read points the host is making now; guarded by {@link #open}. */
  private int creating;
  /** How many the host has finished making, successfully or not; guarded by {@link #open}. */
  private long created;

  public ReadPoints(HypervisorDriver driver, Path stateDir) {
    this.driver = driver;
    this.dir = stateDir.resolve("read-points");
  }

  /**
   * Discards every read point a previous run of the agent left open; call before the first
   * session. A read point that cannot be discarded now stays recorded for the next try.
   */
  public void recover() {
    List<Path> records;
    try (var files = Files.list(dir)) {
      records = files.filter(f -> !f.getFileName().toString().endsWith(".tmp")).toList();
    } catch (NoSuchFileException none) {
      return;
    } catch (IOException e) {
      log.warn("cannot list the read points left open in " + dir + ": " + e.getMessage());
      return;
    }
    for (Path record : records) {
      try {
        ReadPointRecords.discard(driver, dir, record.getFileName().toString());
      } catch (IOException e) {
        log.warn("read point of VM " + record.getFileName() + " left open by the last run"
            + " could not be discarded: " + e.getMessage());
      }
    }
  }

  /**
   * Joins the read point of VM {@code vmId} that overlapping sessions use, or creates one.
   *
   * @throws IOException when none could be created; the VM is as it was
   */
  public Lease join(String vmId) throws IOException, InterruptedException {
    return join(vmId, false);
  }

  /** @param fresh whether to wait for the VM's open read point to end and make a new one */
  private Lease join(String vmId, boolean fresh) throws IOException, InterruptedException {
    Shared shared;
    synchronized (open) {
      String key = vmId.toLowerCase(Locale.ROOT);
      shared = open.get(key);
      if (shared == null || shared.ending || fresh) {
        shared = new Shared(vmId, shared);
        open.put(key, shared);
      }
      shared.members++;
    }
    try {
      return new Lease(shared, shared.ready());
    } catch (IOException | InterruptedException | RuntimeException e) {
      leave(shared, false);
      throw e;
    }
  }

  /**
   * Waits until the host has made the read points it is making now; returns whether any was
   * made since {@link #creationsEnded} answered {@code count}. While Hyper-V makes one, it
   * reports the VM's disks as the checkpoint's new files, so a session that did not find its
   * disk then looks again.
   */
  public boolean awaitCreationsSince(long count) throws InterruptedException {
    synchronized (open) {
      while (creating > 0) {
        open.wait();
      }
      return created != count;
    }
  }

  /**
   * A change-tracking reference point of {@code diskPaths} of VM {@code vmId} as they are now:
   * a read point kept at once, for disks nobody writes meanwhile (the VM is Off). Returns each
   * disk's reference, or an empty map when the host could not make one (the next sync of the
   * disks then compares checksums).
   */
  public Map<String, String> referencePoint(String vmId, List<String> diskPaths)
      throws InterruptedException {
    Lease lease;
    try {
      // Never an open one: it was made before these disks' last writes.
      lease = join(vmId, true);
    } catch (IOException e) {
      log.warn("no change-tracking reference point of VM " + vmId + ": " + e.getMessage());
      return Map.of();
    }
    return lease.succeeded(diskPaths);
  }

  /** One session's share in its VM's read point. */
  public final class Lease implements AutoCloseable {
    private final Shared shared;
    private final ReadPoint point;
    private boolean left;

    private Lease(Shared shared, ReadPoint point) {
      this.shared = shared;
      this.point = point;
    }

    public ReadPoint point() {
      return point;
    }

    /**
     * Another share in the same read point, for a session that continues this one's disk
     * (its controller went away while this one waited for the read point to end); empty once
     * the read point is ending.
     */
    public Optional<Lease> another() {
      synchronized (open) {
        if (shared.ending) {
          return Optional.empty();
        }
        shared.members++;
      }
      return Optional.of(new Lease(shared, point));
    }

    /**
     * The session read disk {@code diskPath} completely and closed it: waits until every
     * session sharing the read point has ended, then returns the disk's new reference point,
     * or "" when it could not be kept (the next sync of the disk then compares checksums).
     */
    public String succeeded(String diskPath) throws InterruptedException {
      return succeeded(List.of(diskPath)).getOrDefault(diskPath, "");
    }

    /** Like {@link #succeeded(String)} for several disks; returns their references by path. */
    public Map<String, String> succeeded(List<String> diskPaths) throws InterruptedException {
      synchronized (shared) {
        shared.readDisks.addAll(diskPaths);
      }
      left = true;
      leave(shared, true);
      return shared.awaitEnd();
    }

    /** Leaves without success unless {@link #succeeded} was called; does not wait. */
    @Override
    public void close() {
      if (!left) {
        left = true;
        leave(shared, false);
      }
    }
  }

  private void leave(Shared shared, boolean succeeded) {
    boolean last;
    synchronized (open) {
      shared.succeeded |= succeeded;
      last = --shared.members == 0;
      // It stays in the map while it ends, so a session joining now waits for the end first.
      shared.ending |= last;
    }
    if (last) {
      shared.end();
    }
  }

  /**
   * Discards the read point a crash or a failed making left for VM {@code vmId}, if any; one
   * that sessions use now is not touched. A target session calls this before it checks the
   * disks: a leftover checkpoint would hold them as a chain. Returns its record: its id, or
   * {@code creating <instant>} when the agent never learned it.
   */
  public Optional<String> discardLeftOver(String vmId) throws IOException {
    synchronized (open) {
      if (open.containsKey(vmId.toLowerCase(Locale.ROOT))) {
        return Optional.empty();
      }
    }
    if (!Files.exists(DurableFiles.vmFile(dir, vmId))) {
      return Optional.empty();
    }
    return Optional.of(ReadPointRecords.discard(driver, dir, vmId));
  }

  /** How many read points the host has finished making so far, successfully or not. */
  public long creationsEnded() {
    synchronized (open) {
      return created;
    }
  }

  /** A read point and the sessions that share it. */
  private final class Shared {
    final String vmId;
    /** The read point of the same VM ending before this one: it must be gone first. */
    private Shared before;
    /** Guarded by {@link #open}. */
    int members;
    boolean ending;
    boolean succeeded;
    /** Guarded by this. */
    final Set<String> readDisks = new LinkedHashSet<>();
    private ReadPoint point;
    private IOException failure;
    private Map<String, String> references;

    Shared(String vmId, Shared before) {
      this.vmId = vmId;
      this.before = before;
    }

    /** The read point, created by the first session to ask. */
    synchronized ReadPoint ready() throws IOException, InterruptedException {
      if (point == null && failure == null) {
        if (before != null) {
          before.awaitEnd();
          before = null;
        }
        try {
          Path record = DurableFiles.vmFile(dir, vmId);
          if (Files.exists(record)) {
            // A crash's: Hyper-V cannot stack read points.
            ReadPointRecords.discard(driver, dir, vmId);
          }
          // Recorded before it exists: a crash or a timeout while the host makes it must not
          // leave a read point nobody knows of.
          Instant since = Instant.now();
          DurableFiles.replace(record, ReadPointRecords.CREATING + since);
          try {
            point = create();
          } catch (ReadPoint.OutcomeUnknownException e) {
            // One may exist, or appear late: the record stays, so the VM's next session or the
            // next start discards whatever was made then.
            throw e;
          } catch (IOException e) {
            ReadPointRecords.forget(record); // the host refused or cleaned up: nothing was made
            throw e;
          }
          DurableFiles.replace(record, point.id());
        } catch (IOException e) {
          if (point != null) {
            discardQuietly(point);
            point = null;
          }
          failure = e;
        }
      }
      if (failure != null) {
        throw new IOException(failure.getMessage(), failure);
      }
      return point;
    }

    private ReadPoint create() throws IOException {
      synchronized (open) {
        creating++;
      }
      try {
        return driver.createReadPoint(vmId);
      } finally {
        synchronized (open) {
          creating--;
          created++;
          open.notifyAll();
        }
      }
    }

    /**
     * Keeps or discards the read point once its last session has left; whatever happens, the
     * sessions waiting for it are answered and the VM's next session may go on.
     */
    void end() {
      Map<String, String> kept = Map.of();
      try {
        kept = keepOrDiscard();
      } finally {
        Shared unfinished;
        synchronized (this) {
          unfinished = before; // still set only if its wait for it was interrupted
        }
        synchronized (open) {
          String key = vmId.toLowerCase(Locale.ROOT);
          if (unfinished != null && !unfinished.hasEnded()) {
            // The next session must still wait for that one, not take its record as left over.
            open.replace(key, this, unfinished);
          } else {
            open.remove(key, this);
          }
        }
        synchronized (this) {
          references = kept;
          notifyAll();
        }
      }
    }

    private Map<String, String> keepOrDiscard() {
      Map<String, String> kept = Map.of();
      ReadPoint ending;
      List<String> disks;
      synchronized (this) {
        ending = point;
        disks = new ArrayList<>(readDisks);
      }
      if (ending != null) {
        boolean gone = false;
        if (succeeded) {
          try {
            kept = ending.keep(disks);
            gone = true;
          } catch (IOException | RuntimeException e) {
            log.warn("read point " + ending.id() + " of VM " + vmId + " could not be kept"
                + " as a reference point (" + e.getMessage() + "); its disks' next syncs"
                + " compare checksums");
          }
        }
        gone = gone || discardQuietly(ending);
        if (gone) {
          try {
            ReadPointRecords.forget(DurableFiles.vmFile(dir, vmId));
          } catch (IOException e) {
            log.warn("cannot forget read point " + ending.id() + ": " + e.getMessage());
          }
        }
      }
      return kept;
    }

    synchronized boolean hasEnded() {
      return references != null;
    }

    synchronized Map<String, String> awaitEnd() throws InterruptedException {
      while (references == null) {
        wait();
      }
      return references;
    }

    private boolean discardQuietly(ReadPoint readPoint) {
      try {
        readPoint.discard();
        return true;
      } catch (IOException | RuntimeException e) {
        log.warn("read point " + readPoint.id() + " of VM " + vmId + " could not be"
            + " discarded (" + e.getMessage() + "); the agent tries again at its next start");
        return false;
      }
    }
  }
}
