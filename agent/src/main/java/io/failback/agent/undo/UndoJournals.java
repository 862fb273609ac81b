package io.failback.agent.undo;

import io.failback.agent.hyperv.state.DurableFiles;
import io.failback.common.disk.BlockDevice;
import io.failback.common.ids.VmId;
import io.failback.common.undo.JournaledDevice;
import io.failback.common.undo.UndoJournal;
import io.failback.common.undo.UndoJournalException;
import io.failback.proto.v1.RollbackReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The undo journals of this host's disks, one beside each disk a failback writes ({@code
 * DISK.failback-undo}), and in the agent's state folder the list of journaled disks per VM.
 *
 * <p>The list is written before a journal is created: a journal that disappears later (deleted
 * by hand, a lost volume) is then noticed at rollback instead of the disk being taken as
 * untouched.
 */
public final class UndoJournals {
  public static final String SUFFIX = ".failback-undo";

  /** Opens a disk of the VM for the rollback to write. */
  @FunctionalInterface
  public interface DiskOpener {
    BlockDevice open(String diskPath) throws IOException;
  }

  /** How long a rollback waits for the failback's sessions to close the VM's disks. */
  private static final Duration WRITERS_GONE = Duration.ofMinutes(2);

  private final Path dir;
  private final Clock clock;
  /** Journaled disks open per VM: a rollback must not race a session's last writes. */
  private final Map<String, Integer> writers = new HashMap<>();

  public UndoJournals(Path stateDir, Clock clock) {
    this.dir = stateDir.resolve("undo");
    this.clock = clock;
  }

  public static Path journalOf(String diskPath) {
    return Path.of(diskPath + SUFFIX);
  }

  /**
   * {@code device}, with every overwrite preserved first in the disk's undo journal of failback
   * {@code journal}; journals of another failback of the VM are discarded first.
   */
  public synchronized BlockDevice journaled(String vmId, String journal, String diskPath,
      BlockDevice device) throws IOException {
    Listing listing = listing(vmId);
    if (listing != null && !listing.journal().equals(journal)) {
      discard(vmId);
      listing = null;
    }
    Set<String> disks = new LinkedHashSet<>(listing == null ? List.of() : listing.disks());
    if (disks.add(diskPath)) {
      // Not listed: a journal there is an orphan of a discard a crash cut short, and holds
      // another failback's bytes.
      Files.deleteIfExists(journalOf(diskPath));
      DurableFiles.replace(file(vmId), journal + "\n" + String.join("\n", disks) + "\n");
    }
    UndoJournal opened = UndoJournal.openForWrite(journalOf(diskPath), device.size(),
        clock.millis());
    writers.merge(vmId, 1, Integer::sum);
    return new JournaledDevice(device, opened, () -> released(vmId));
  }

  private synchronized void released(String vmId) {
    writers.merge(vmId, -1, (a, b) -> a + b == 0 ? null : a + b);
    notifyAll();
  }

  /** The disks of {@code vmId} that have an undo journal, in the order they got one. */
  public synchronized List<String> disks(String vmId) throws IOException {
    Listing listing = listing(vmId);
    return listing == null ? List.of() : listing.disks();
  }

  private record Listing(String journal, List<String> disks) {}

  /** The VM's journals of failback {@code journal}; null when it has none. */
  private Listing listingOf(String vmId, String journal) throws IOException {
    Listing listing = listing(vmId);
    if (listing != null && !listing.journal().equals(journal)) {
      throw new UndoJournalException("the undo journals of this VM belong to failback "
          + listing.journal() + ", not " + journal);
    }
    return listing;
  }

  private Listing listing(String vmId) throws IOException {
    try {
      List<String> lines = Files.readAllLines(file(vmId), StandardCharsets.UTF_8).stream()
          .filter(line -> !line.isBlank()).toList();
      return lines.isEmpty() ? null : new Listing(lines.get(0), lines.subList(1, lines.size()));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Puts every disk of {@code vmId} that failback {@code journal} wrote back as it was, then
   * deletes the journals; waits first for the failback's sessions to close their disks. Every
   * journal is opened and checked before the first disk is written. A VM with no journal has
   * nothing to put back (no session wrote under one, or a rollback finished already).
   *
   * @throws UndoJournalException if a journal is missing or damaged, or the VM's journals
   *     belong to another failback; nothing was written
   */
  public synchronized RollbackReport rollback(String vmId, String journal, DiskOpener opener)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + WRITERS_GONE.toNanos();
    while (writers.containsKey(vmId)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IOException("a sync session still writes a disk of VM " + vmId + " after "
            + WRITERS_GONE.toSeconds() + " s; nothing was rolled back");
      }
      wait(Math.max(1, left / 1_000_000));
    }
    Listing listing = listingOf(vmId, journal);
    if (listing == null) {
      return RollbackReport.getDefaultInstance();
    }
    List<String> disks = listing.disks();
    List<BlockDevice> devices = new ArrayList<>();
    List<UndoJournal> journals = new ArrayList<>();
    try {
      for (String disk : disks) {
        BlockDevice device = opener.open(disk);
        devices.add(device);
        journals.add(UndoJournal.openForRollback(journalOf(disk), device.size()));
      }
      RollbackReport.Builder report = RollbackReport.newBuilder();
      for (int i = 0; i < disks.size(); i++) {
        report.addDisks(journals.get(i).rollback(devices.get(i), disks.get(i)));
      }
      close(journals, devices);
      discard(vmId);
      return report.build();
    } finally {
      close(journals, devices);
    }
  }

  /**
   * Opens and checks every journal failback {@code journal} keeps of {@code vmId} against its
   * disk's size (the host's word: a running VM's disk is not opened) and reports what {@link
   * #rollback} would put back; writes nothing, keeps the journals.
   *
   * @throws UndoJournalException if a journal is missing or damaged, or belongs to another
   *     failback
   */
  public synchronized RollbackReport check(String vmId, String journal,
      java.util.function.ToLongFunction<String> diskSize) throws IOException {
    Listing listing = listingOf(vmId, journal);
    if (listing == null) {
      return RollbackReport.getDefaultInstance();
    }
    RollbackReport.Builder report = RollbackReport.newBuilder();
    for (String disk : listing.disks()) {
      try (UndoJournal opened = UndoJournal.openForRollback(journalOf(disk),
          diskSize.applyAsLong(disk))) {
        report.addDisks(opened.planned(disk));
      }
    }
    return report.build();
  }

  /** Deletes the journals failback {@code journal} keeps of {@code vmId}: it was committed. */
  public synchronized void discard(String vmId, String journal) throws IOException {
    Listing listing = listing(vmId);
    if (listing != null && listing.journal().equals(journal)) {
      discard(vmId);
    }
  }

  /**
   * Deletes the journals of {@code vmId}. The list goes first: a crash half-way leaves orphan
   * journals, which the next failback of the disk replaces, never a listed disk without its
   * journal.
   */
  private void discard(String vmId) throws IOException {
    List<String> disks = disks(vmId);
    Files.deleteIfExists(file(vmId));
    DurableFiles.syncDirectory(dir);
    for (String disk : disks) {
      Path journal = journalOf(disk);
      Files.deleteIfExists(journal);
      DurableFiles.syncDirectory(journal.getParent());
    }
  }

  private static void close(List<UndoJournal> journals, List<BlockDevice> devices)
      throws IOException {
    for (UndoJournal journal : journals) {
      journal.close();
    }
    for (BlockDevice device : devices) {
      device.close();
    }
    journals.clear();
    devices.clear();
  }

  private Path file(String vmId) {
    return dir.resolve(VmId.parse(vmId).fileName());
  }
}
