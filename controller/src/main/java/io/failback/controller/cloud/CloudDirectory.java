package io.failback.controller.cloud;

import io.failback.common.ids.VmId;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.stream.Stream;

/**
 * The directory of a {@link LocalDirectoryCloud} and what it holds at run time: the VMs and the
 * snapshots, read back on open, and the lock that keeps other processes out.
 *
 * <p>Threading: used only under the cloud's monitor.
 */
final class CloudDirectory {
  private static final Logger log = LoggerFactory.getLogger(CloudDirectory.class);

  private final Path root;
  private final FileChannel lockChannel;
  private final Map<String, LocalVm> vms = new HashMap<>();
  private final Map<String, LocalSnapshot> snapshots = new HashMap<>();

  private CloudDirectory(Path root, FileChannel lockChannel) {
    this.root = root;
    this.lockChannel = lockChannel;
  }

  /** Locks {@code root} (creating it when missing) and reads its VMs and snapshots. */
  static CloudDirectory open(Path root) throws CloudException {
    FileChannel channel = null;
    try {
      Files.createDirectories(root.resolve("vms"));
      Files.createDirectories(root.resolve("snapshots"));
      channel = FileChannel.open(root.resolve("cloud.lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      FileLock lock = tryLock(channel);
      if (lock == null) {
        throw CloudException.precondition("the cloud directory %s is in use by another"
            + " controller (cloud.lock is held): stop it first", root);
      }
      CloudDirectory directory = new CloudDirectory(root, channel);
      directory.load();
      return directory;
    } catch (IOException | RuntimeException | CloudException e) {
      if (channel != null) {
        try {
          channel.close(); // also drops the lock
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof CloudException cloud) {
        throw cloud;
      }
      throw CloudException.io(e, "cannot open the cloud directory %s", root);
    }
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by another instance in this JVM
    }
  }

  private void load() throws IOException {
    for (Path dir : children(root.resolve("vms"))) {
      Path file = dir.resolve(CloudJson.VM_FILE);
      if (!Files.exists(file)) {
        log.warn("removing " + dir + ": no " + CloudJson.VM_FILE + " (interrupted create or"
            + " delete)");
        AtomicFiles.deleteTree(dir);
        continue;
      }
      add(new LocalVm(dir, CloudJson.readVm(file)));
    }
    for (Path dir : children(root.resolve("snapshots"))) {
      loadSnapshot(dir);
    }
  }

  private void loadSnapshot(Path dir) throws IOException {
    if (!Files.exists(dir.resolve(CloudJson.SNAPSHOT_FILE))) {
      log.warn("removing " + dir + ": no " + CloudJson.SNAPSHOT_FILE + " (interrupted)");
      AtomicFiles.deleteTree(dir);
      return;
    }
    LocalSnapshot snapshot = LocalSnapshot.load(dir);
    LocalVm vm = vms.get(snapshot.vmId());
    if (vm == null || vm.diskCount() != snapshot.diskCount()) {
      log.warn("removing snapshot " + dir + ": its VM " + snapshot.vmId() + " is gone");
      snapshot.delete();
      return;
    }
    if (snapshot.tracking()) {
      for (int i = 0; i < snapshot.diskCount(); i++) {
        LiveDisk disk = vm.disk(i);
        if (disk.device().size() != snapshot.store(i).diskSize()) {
          throw new IOException(dir + ": disk " + i + " size differs from the VM's disk");
        }
        disk.attach(snapshot.store(i));
      }
    }
    snapshots.put(snapshot.id(), snapshot);
  }

  private static List<Path> children(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.filter(Files::isDirectory).sorted().toList();
    }
  }

  Path root() {
    return root;
  }

  // Ids are the cloud's own UUIDs; checked again here so that no id from outside, however it
  // got this far, can name a path outside the cloud directory.
  Path vmDir(String vmId) {
    return root.resolve("vms").resolve(VmId.parse(vmId).fileName());
  }

  Path snapshotDir(String snapshotId) {
    return root.resolve("snapshots").resolve(VmId.parse(snapshotId).fileName());
  }

  Collection<LocalVm> vms() {
    return vms.values();
  }

  LocalVm vm(String vmId) {
    return vms.get(vmId);
  }

  void add(LocalVm vm) {
    vms.put(vm.vm().id(), vm);
  }

  LocalSnapshot snapshot(String snapshotId) {
    return snapshots.get(snapshotId);
  }

  List<LocalSnapshot> snapshotsOf(String vmId) {
    return snapshots.values().stream().filter(s -> s.vmId().equals(vmId)).toList();
  }

  void add(LocalSnapshot snapshot) {
    snapshots.put(snapshot.id(), snapshot);
  }

  void remove(LocalSnapshot snapshot) {
    snapshots.remove(snapshot.id());
  }

  /** Closes a VM's disks and deletes its directory; vm.json goes first, so a crash hides it. */
  void delete(LocalVm vm) throws IOException {
    vm.closeDisks(false);
    vms.remove(vm.vm().id());
    Files.deleteIfExists(vm.dir().resolve(CloudJson.VM_FILE));
    AtomicFiles.syncDirectory(vm.dir());
    AtomicFiles.deleteTree(vm.dir());
  }

  /** Deletes a directory after a failure that is being reported already. */
  void deleteQuietly(Path dir) {
    try {
      AtomicFiles.deleteTree(dir);
    } catch (IOException e) {
      log.warn("cannot remove " + dir + " (removed on the next open): " + e);
    }
  }

  /**
   * Closes everything and unlocks the directory; {@code clean} first persists snapshot tracking
   * and flushes the disks, otherwise this is a simulated crash.
   */
  void close(boolean clean) throws IOException {
    List<IOException> failures = new ArrayList<>();
    for (LocalSnapshot snapshot : snapshots.values()) {
      LocalVm vm = vms.get(snapshot.vmId());
      Lock lock = vm.writeBarrier();
      lock.lock();
      try {
        if (clean) {
          snapshot.persist();
        }
        snapshot.close();
      } catch (IOException e) {
        failures.add(e);
      } finally {
        lock.unlock();
      }
    }
    for (LocalVm vm : vms.values()) {
      Lock lock = vm.writeBarrier();
      lock.lock();
      try {
        vm.closeDisks(clean);
      } catch (IOException e) {
        failures.add(e);
      } finally {
        lock.unlock();
      }
    }
    lockChannel.close();
    if (!failures.isEmpty()) {
      IOException first = failures.get(0);
      failures.subList(1, failures.size()).forEach(first::addSuppressed);
      throw first;
    }
  }
}
