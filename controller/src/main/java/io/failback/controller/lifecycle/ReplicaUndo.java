package io.failback.controller.lifecycle;

import io.failback.common.disk.BlockDevice;
import io.failback.common.text.ByteText;
import io.failback.common.undo.JournaledDevice;
import io.failback.common.undo.UndoJournal;
import io.failback.proto.v1.DiskRollback;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The undo journals of VMs' cloud replicas. A delta cycle writes the replica in place: before
 * it first overwrites a region of a replica that holds a recovery point, the region's old bytes
 * are appended to the disk's journal and forced to disk ({@link JournaledDevice}, as the agent
 * keeps for a failback's on-prem disks). A pass that verifies the replica discards them; one
 * that fails leaves them, later passes add only regions not kept yet, so that {@link #undo}
 * makes the replica its last recovery point again however many passes failed since.
 *
 * <p>One folder per VM, named by a name-based UUID of its id: no host-supplied string becomes
 * a path here.
 */
final class ReplicaUndo {
  /** Opens a replica disk for writing. */
  interface DiskOpener {
    BlockDevice open(int disk) throws IOException;
  }

  /**
   * Free space the journals leave in their file system: the controller's database lives in the
   * same state folder, and a cycle of many changed blocks would fill it otherwise.
   */
  static final long FLOOR = 1L << 30;

  private final Path dir;
  private final long floor;

  ReplicaUndo(Path dir, long floor) {
    this.dir = dir;
    this.floor = floor;
  }

  /** The controller's: beside its seeds, in its state folder. */
  static ReplicaUndo of(LifecycleContext context) {
    return new ReplicaUndo(context.seedDir().resolveSibling("replica-undo"), FLOOR);
  }

  /** {@code replica}, disk {@code disk} of {@code vmId}'s replica, its overwrites journaled. */
  BlockDevice journaled(String vmId, int disk, BlockDevice replica, long nowMillis)
      throws IOException {
    Files.createDirectories(folder(vmId));
    UndoJournal journal = UndoJournal.openForWrite(file(vmId, disk), replica.size(), nowMillis);
    return new BeforeWrites(new JournaledDevice(replica, journal, () -> { }),
        this::checkSpace);
  }

  /**
   * Refuses a write whose old bytes could not be kept without going under {@link #FLOOR}: the
   * pass fails, and the replica can still be put back to its last recovery point.
   */
  private void checkSpace() throws IOException {
    long free = Files.getFileStore(dir).getUsableSpace();
    if (free < floor) {
      throw new IOException("the replica's undo journals in " + dir + " have "
          + ByteText.human(free) + " free, under the " + ByteText.human(floor) + " this"
          + " controller keeps free: free space there, or the next cycles cannot keep the last"
          + " recovery point and fail");
    }
  }

  /** Whether a pass that did not verify left journals of {@code vmId}'s replica. */
  boolean kept(String vmId) throws IOException {
    return !journals(vmId).isEmpty();
  }

  /**
   * Writes every kept region back into the replica and discards the journals.
   *
   * @return what went back, one entry per journaled disk
   * @throws IOException if a journal is damaged or a disk cannot be written; the journals stay
   */
  List<DiskRollback> undo(String vmId, DiskOpener disks) throws IOException {
    List<DiskRollback> restored = new ArrayList<>();
    for (Path file : journals(vmId)) {
      int disk = Integer.parseInt(file.getFileName().toString().replaceAll("\\D", ""));
      try (BlockDevice replica = disks.open(disk);
          UndoJournal journal = UndoJournal.openForRollback(file, replica.size())) {
        restored.add(journal.rollback(replica, "disk " + disk));
      }
    }
    discard(vmId);
    return restored;
  }

  /**
   * Deletes the journals of {@code vmId}'s replica: a pass verified it, or the replica is gone.
   *
   * @return whether there was anything to delete
   */
  boolean discard(String vmId) throws IOException {
    boolean any = false;
    for (Path file : journals(vmId)) {
      any |= Files.deleteIfExists(file);
    }
    return Files.deleteIfExists(folder(vmId)) || any;
  }

  private List<Path> journals(String vmId) throws IOException {
    Path folder = folder(vmId);
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(f -> f.getFileName().toString().matches("disk-\\d+\\.undo"))
          .sorted().toList();
    }
  }

  private Path folder(String vmId) {
    return dir.resolve(UUID.nameUUIDFromBytes(
        vmId.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8)).toString());
  }

  private Path file(String vmId, int disk) {
    return folder(vmId).resolve("disk-" + disk + ".undo");
  }
}
