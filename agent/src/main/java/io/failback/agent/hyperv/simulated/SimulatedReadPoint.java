package io.failback.agent.hyperv.simulated;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.failback.agent.hyperv.ChangeTracking;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The simulated host's read point: a copy of each disk of the VM, taken when it is created;
 * the disks themselves when the VM is Off.
 *
 * <p>A simulated guest writes straight into its disk files, so there is no write to redirect as
 * Hyper-V does; a copy is the honest way to freeze them. It costs a read and a write of every
 * disk, which is fine for the small disks of tests and the demo.
 */
final class SimulatedReadPoint implements ReadPoint {
  private static final Pattern ID = Pattern.compile("sim-rp-[0-9a-z-]{1,64}--[0-9a-f-]{36}");

  private final String id;
  private final String vmId;
  private final Path folder;
  /** Disk path to its frozen copy. */
  private final Map<String, Path> copies;
  /** Reference points taken when it was made (an Off VM's), by disk path. */
  private final Map<String, String> early;
  private final SimulatedChangeTracking tracking;

  private SimulatedReadPoint(String id, String vmId, Path folder, Map<String, Path> copies,
      Map<String, String> early, SimulatedChangeTracking tracking) {
    this.id = id;
    this.vmId = vmId;
    this.folder = folder;
    this.copies = copies;
    this.early = early;
    this.tracking = tracking;
  }

  /** Copies every disk of {@code vm} into a new folder of {@code readPointsDir}. */
  static SimulatedReadPoint create(VirtualMachine vm, Path readPointsDir,
      SimulatedChangeTracking tracking) throws IOException {
    for (VirtualDisk disk : vm.getDisksList()) {
      if (disk.getType() == DiskType.DIFFERENCING) {
        throw new IOException("disk " + disk.getPath() + " of VM " + vm.getName() + " is a"
            + " differencing disk (a checkpoint): merge the VM's checkpoints first");
      }
    }
    String id = prefix(vm.getId()) + UUID.randomUUID();
    Path folder = readPointsDir.resolve(id);
    Files.createDirectories(folder);
    Map<String, Path> copies = new LinkedHashMap<>();
    Map<String, String> references = new LinkedHashMap<>();
    try {
      int index = 0;
      for (VirtualDisk disk : vm.getDisksList()) {
        if (vm.getPowerState() == PowerState.OFF) {
          // An Off VM's disks are read in place, no copy. Their reference points are taken
          // now, before any read: a write that still comes (the VM started) is then after the
          // reference, so the next sync sends it, perhaps again, but never misses it.
          copies.put(disk.getPath(), Path.of(disk.getPath()));
          references.put(disk.getPath(),
              tracking.createReferencePoint(disk.getPath(), Path.of(disk.getPath())));
          continue;
        }
        // The file name stays: it tells the disk's format.
        Path copy = folder.resolve(index++ + "-" + Path.of(disk.getPath()).getFileName());
        Files.copy(Path.of(disk.getPath()), copy);
        copies.put(disk.getPath(), copy);
      }
    } catch (IOException e) {
      delete(folder);
      throw new IOException("cannot freeze the disks of VM " + vm.getName() + ": "
          + e.getMessage(), e);
    }
    return new SimulatedReadPoint(id, vm.getId(), folder, copies, references, tracking);
  }

  /** Removes the read points of VM {@code vmId} whose folder was made in [from, until]. */
  static void discardMadeBetween(Path readPointsDir, String vmId, Instant from, Instant until)
      throws IOException {
    String prefix = prefix(vmId);
    List<Path> folders;
    try (var files = Files.list(readPointsDir)) {
      folders = files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList();
    } catch (NoSuchFileException none) {
      return;
    }
    for (Path folder : folders) {
      Instant made = Files.getLastModifiedTime(folder).toInstant();
      if (!made.isBefore(from) && !made.isAfter(until)) {
        delete(folder);
      }
    }
  }

  /** Read points are named after their VM, so that a crash's can be found without an id. */
  private static String prefix(String vmId) {
    return "sim-rp-" + vmId.toLowerCase(java.util.Locale.ROOT) + "--";
  }

  /** Removes read point {@code id} of {@code readPointsDir}, if it is still there. */
  static void discard(Path readPointsDir, String id) throws IOException {
    if (!ID.matcher(id).matches()) {
      throw new IOException("'" + id + "' is not a read point of the simulated host");
    }
    delete(readPointsDir.resolve(id));
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Path disk(String diskPath) throws IOException {
    Path copy = copies.get(diskPath);
    if (copy == null) {
      throw new IOException("disk " + diskPath + " is not in read point " + id + " of VM "
          + vmId);
    }
    return copy;
  }

  @Override
  public Optional<List<ChangeTracking.ByteRange>> changedSince(String diskPath, String reference,
      long diskSize) throws IOException {
    return tracking.changedSince(diskPath, reference, diskSize, disk(diskPath));
  }

  @Override
  public Map<String, String> keep(List<String> diskPaths) throws IOException {
    Map<String, String> references = new LinkedHashMap<>();
    for (String diskPath : diskPaths) {
      String reference = early.get(diskPath);
      references.put(diskPath, reference != null ? reference
          : tracking.createReferencePoint(diskPath, disk(diskPath)));
    }
    discard();
    return references;
  }

  @Override
  public void discard() throws IOException {
    delete(folder);
  }

  private static void delete(Path folder) throws IOException {
    try {
      // Insecure only where the platform has no SecureDirectoryStream (Windows): the folder is
      // the agent's own.
      MoreFiles.deleteRecursively(folder, RecursiveDeleteOption.ALLOW_INSECURE);
    } catch (NoSuchFileException gone) {
      // Already ended.
    }
  }
}
