package io.failback.controller.cloud.kvm;

import io.failback.common.nbd.NbdBlockDevice;
import io.failback.common.nbd.NbdClient;
import io.failback.common.nbd.QemuNbd;
import io.failback.controller.cloud.CloudDisk;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudSnapshot;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.cloud.kvm.KvmDomains.Found;
import io.failback.controller.cloud.kvm.LibvirtBackups.BackupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots as libvirt checkpoints, read through pull-mode backups (running VM) or qemu-nbd (OFF
 * VM); changed blocks from the checkpoint's dirty bitmaps through NBD block status.
 *
 * <p>A snapshot id is {@code <vm-id>.<uuid>}; its checkpoint (and bitmap) is {@code
 * failback-<uuid>}. Callers serialize calls (the cloud's monitor).
 */
final class KvmSnapshots {
  private static final Logger log = LoggerFactory.getLogger(KvmSnapshots.class);
  private static final String PREFIX = "failback-";

  private final KvmDomains domains;
  private final Path runDir;
  private final Clock clock;
  private final AtomicLong counter = new AtomicLong();
  private final List<KvmSnapshot> open = new ArrayList<>();

  KvmSnapshots(KvmDomains domains, Path runDir, Clock clock) {
    this.domains = domains;
    this.runDir = runDir;
    this.clock = clock;
  }

  /**
   * Takes a checkpoint and opens the point-in-time views of every disk; with {@code since} (a
   * running VM, the checkpoint still whole) the views carry the writes between that checkpoint
   * and this instant as a dirty bitmap.
   */
  CloudSnapshot take(Found found, CloudVm vm, Optional<String> since) throws CloudException {
    String uuid = UUID.randomUUID().toString();
    String name = PREFIX + uuid;
    String id = vm.id() + "." + uuid;
    List<String> targets = targets(vm);
    try {
      Files.createDirectories(runDir);
      if (vm.state() == PowerState.RUNNING) {
        claimBackupJob(found, vm);
        Path socket = socket(vm, "b");
        Optional<String> from = since.map(point -> PREFIX
            + point.substring(point.indexOf('.') + 1));
        try {
          LibvirtBackups.beginBackup(found.domain(), BackupXml.pull(socket, targets,
              scratchDir(vm), from), BackupXml.checkpoint(name, targets));
        } catch (BackupException lost) {
          if (from.isEmpty()) {
            throw lost;
          }
          // The tracking point's bitmap is gone (QEMU was killed since): a snapshot without it.
          from = Optional.empty();
          LibvirtBackups.beginBackup(found.domain(), BackupXml.pull(socket, targets,
              scratchDir(vm), from), BackupXml.checkpoint(name, targets));
        }
        List<NbdBlockDevice> views = new ArrayList<>();
        try {
          for (String target : targets) {
            List<String> contexts = from.isEmpty() ? List.of(NbdBlockDevice.BASE_ALLOCATION)
                : List.of(NbdBlockDevice.BASE_ALLOCATION, changedContext(target));
            views.add(new NbdBlockDevice(NbdClient.connect(socket,
                BackupXml.exportName(target), contexts), false, null));
          }
        } catch (IOException | RuntimeException e) {
          // No handle will end the job: end it here, or the VM could never be snapshotted again.
          for (NbdBlockDevice view : views) {
            view.close();
          }
          endJob(found, vm);
          throw e;
        }
        return remember(new KvmSnapshot(id, vm.id(), clock.instant(), views,
            () -> endJob(found, vm), from.isEmpty() ? List.of()
                : targets.stream().map(KvmSnapshots::changedContext).toList()));
      }
      // OFF: libvirt 9.0 makes no checkpoint of an inactive domain; the same persistent bitmap
      // is added by qemu-img, and QEMU records into it when the VM runs again. The disks
      // themselves are the instant; the open exports keep QEMU from starting meanwhile.
      for (int i = 0; i < targets.size(); i++) {
        QemuImg.addBitmap(vm.disks().get(i).path(), name);
      }
      List<NbdBlockDevice> views = new ArrayList<>();
      try {
        for (int i = 0; i < targets.size(); i++) {
          views.add(QemuNbd.serve(vm.disks().get(i).path(), "qcow2", false,
              socket(vm, "s" + i), Optional.empty()).open(false, List.of()));
        }
      } catch (IOException | RuntimeException e) {
        for (NbdBlockDevice view : views) {
          view.close(); // and its qemu-nbd, which would keep the VM from starting
        }
        throw e;
      }
      return remember(new KvmSnapshot(id, vm.id(), clock.instant(), views, () -> { }, List.of()));
    } catch (BackupException | IOException e) {
      throw CloudException.io(e, "cannot take a snapshot of cloud VM %s", vm.label());
    }
  }

  /** Blocks written since the snapshot's checkpoint, or empty when its bitmap was lost. */
  Optional<long[]> changedBlocks(String snapshotId, int diskIndex, int blockSize)
      throws CloudException {
    Found found = vmOf(snapshotId);
    CloudVm vm = KvmCloud.vm(found);
    String name = PREFIX + snapshotId.substring(snapshotId.indexOf('.') + 1);
    if (diskIndex < 0 || diskIndex >= vm.disks().size()) {
      throw CloudException.invalid("cloud VM %s has no disk %d", vm.label(), diskIndex);
    }
    try {
      if (vm.state() == PowerState.OFF) {
        return offline(vm, diskIndex, name, blockSize);
      }
      return online(found, vm, diskIndex, name, blockSize);
    } catch (IOException e) {
      throw CloudException.io(e, "cannot read the changes of cloud VM %s since snapshot %s",
          vm.label(), snapshotId);
    }
  }

  /**
   * The bytes written to a running VM's disk since the snapshot's checkpoint, as libvirt
   * counts its dirty bitmap; works while a backup job (an open handle) runs. Empty when the VM
   * is off or libvirt reports no size.
   */
  java.util.OptionalLong changedBytes(String snapshotId, int diskIndex) throws CloudException {
    Found found = vmOf(snapshotId);
    CloudVm vm = KvmCloud.vm(found);
    if (diskIndex < 0 || diskIndex >= vm.disks().size()) {
      throw CloudException.invalid("cloud VM %s has no disk %d", vm.label(), diskIndex);
    }
    if (vm.state() != PowerState.RUNNING) {
      return java.util.OptionalLong.empty();
    }
    String name = PREFIX + snapshotId.substring(snapshotId.indexOf('.') + 1);
    try {
      return BackupXml.checkpointSize(LibvirtBackups.checkpointXml(found.domain(), name),
          targets(vm).get(diskIndex));
    } catch (LibvirtBackups.BackupException | IOException e) {
      throw CloudException.io(e, "cannot read the checkpoint of snapshot %s", snapshotId);
    }
  }

  private Optional<long[]> offline(CloudVm vm, int disk, String name, int blockSize)
      throws IOException {
    QemuNbd server;
    try {
      server = QemuNbd.serve(vm.disks().get(disk).path(), "qcow2", false,
          socket(vm, "c" + disk), Optional.of(name));
    } catch (IOException e) {
      if (e.getMessage().contains("itmap")) {
        return Optional.empty(); // Lost in a crash of QEMU: missing or flagged inconsistent.
      }
      throw e;
    }
    String context = "qemu:dirty-bitmap:" + name;
    try (NbdBlockDevice device = server.open(false, List.of(context))) {
      return Optional.of(DirtyBlocks.read(device.client(), context, blockSize));
    }
  }

  /** A running VM: an incremental pull-mode backup from the checkpoint, read, then ended. */
  private Optional<long[]> online(Found found, CloudVm vm, int disk, String name, int blockSize)
      throws IOException, CloudException {
    claimBackupJob(found, vm);
    Path socket = socket(vm, "i");
    List<String> targets = targets(vm);
    try {
      LibvirtBackups.beginBackup(found.domain(), BackupXml.pull(socket, targets, scratchDir(vm),
          Optional.of(name)), null);
    } catch (BackupException e) {
      return Optional.empty(); // The checkpoint's bitmap is gone (QEMU was killed since).
    }
    String target = targets.get(disk);
    String context = changedContext(target);
    try (NbdClient client = NbdClient.connect(socket, BackupXml.exportName(target),
        List.of(context))) {
      return Optional.of(DirtyBlocks.read(client, context, blockSize));
    } finally {
      endJob(found, vm);
    }
  }

  /** The NBD metadata context of an incremental backup's writes to disk {@code target}. */
  static String changedContext(String target) {
    return "qemu:dirty-bitmap:" + BackupXml.exportBitmap(target);
  }

  /**
   * Starts the OFF domain paused, takes a checkpoint before the guest's first instruction, and
   * resumes it: the checkpoint's bitmaps hold every write of the guest. Empty when libvirt
   * refused the checkpoint: the VM runs all the same, untracked.
   */
  Optional<String> startTracked(Found found, CloudVm vm, Domain domain) throws CloudException {
    String uuid = UUID.randomUUID().toString();
    Optional<String> id = Optional.of(vm.id() + "." + uuid);
    try {
      domain.create(START_PAUSED);
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot start cloud VM %s", vm.label());
    }
    try {
      try {
        LibvirtBackups.createCheckpoint(domain, BackupXml.checkpoint(PREFIX + uuid,
            targets(vm)));
      } catch (BackupException e) {
        id = Optional.empty();
      }
      domain.resume();
    } catch (LibvirtException e) {
      // Never left paused: a caller that sees the start fail may start the on-prem VM again.
      try {
        domain.destroy();
      } catch (LibvirtException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw CloudException.io(e, "cannot start cloud VM %s", vm.label());
    }
    return id;
  }

  // virDomainCreateFlags: launch QEMU with its CPUs stopped.
  private static final int START_PAUSED = 1;

  /**
   * Deletes the checkpoint and its bitmaps: through libvirt while the VM runs; while it is OFF,
   * libvirt's record only and the bitmaps by qemu-img.
   */
  void release(String snapshotId) throws CloudException {
    Found found = vmOf(snapshotId);
    for (KvmSnapshot snapshot : List.copyOf(open)) {
      if (snapshot.id().equals(snapshotId)) {
        snapshot.close();
      }
    }
    open.removeIf(s -> s.id().equals(snapshotId));
    String name = PREFIX + snapshotId.substring(snapshotId.indexOf('.') + 1);
    CloudVm vm = KvmCloud.vm(found);
    try {
      boolean running = vm.state() == PowerState.RUNNING;
      boolean existed;
      try {
        existed = LibvirtBackups.deleteCheckpoint(found.domain(), name, !running);
      } catch (BackupException lost) {
        if (!running) {
          throw lost;
        }
        // QEMU was killed in the run that made the bitmap: only libvirt's record is left.
        existed = LibvirtBackups.deleteCheckpoint(found.domain(), name, true);
      }
      if (running && existed) {
        LibvirtBackups.deleteRenamedBitmaps(found.domain(), name, targets(vm),
            vm.disks().stream().map(CloudDisk::path).toList());
      }
      if (running && !existed && QemuImg.bitmaps(vm.disks().get(0).path()).contains(name)) {
        throw CloudException.precondition("snapshot %s of running cloud VM %s was taken while"
            + " it was OFF: shut it down to release it", snapshotId, vm.label());
      }
      if (!running) {
        for (CloudDisk disk : vm.disks()) {
          existed |= QemuImg.removeBitmap(disk.path(), name);
        }
      }
      if (!existed) {
        throw CloudException.notFound("no snapshot %s", snapshotId);
      }
    } catch (BackupException | IOException e) {
      throw CloudException.io(e, "cannot release snapshot %s", snapshotId);
    }
  }

  /** The checkpoints libvirt knows and the bitmaps of snapshots taken while the VM was OFF. */
  List<String> list(Found found) throws CloudException {
    try {
      TreeSet<String> names = new TreeSet<>(LibvirtBackups.checkpointNames(found.domain()));
      List<KvmVmRecord.Disk> disks = found.record().disks();
      if (!disks.isEmpty()) {
        names.addAll(QemuImg.bitmaps(Path.of(disks.get(0).file())));
      }
      return names.stream().filter(n -> n.startsWith(PREFIX))
          .map(n -> found.record().id() + "." + n.substring(PREFIX.length())).toList();
    } catch (BackupException | IOException e) {
      throw CloudException.io(e, "cannot list the snapshots of cloud VM %s", found.record().id());
    }
  }

  /** Whether a snapshot handle of the VM still has views open (they hold its disks). */
  boolean anyOpen(String vmId) {
    return open.stream().anyMatch(s -> s.vmId().equals(vmId) && !s.closed());
  }

  void closeAll() throws CloudException {
    for (KvmSnapshot snapshot : List.copyOf(open)) {
      snapshot.close();
    }
    open.clear();
  }

  Found vmOf(String snapshotId) throws CloudException {
    int dot = snapshotId.indexOf('.');
    Optional<Found> found = dot < 0 ? Optional.empty() : domains.find(snapshotId.substring(0, dot));
    return found.orElseThrow(() -> CloudException.notFound("no snapshot %s", snapshotId));
  }

  private KvmSnapshot remember(KvmSnapshot snapshot) {
    open.removeIf(KvmSnapshot::closed);
    open.add(snapshot);
    return snapshot;
  }

  /**
   * Refuses while this process holds a snapshot handle on the VM (libvirt runs one backup job
   * per VM), and otherwise ends a backup job still running: one a controller killed with a
   * snapshot open left behind, which libvirt restores as it reconnects to the QEMU and which
   * would refuse every backup after it.
   */
  private void claimBackupJob(Found found, CloudVm vm) throws CloudException {
    if (open.stream().anyMatch(s -> s.vmId().equals(vm.id()) && !s.closed())) {
      throw CloudException.precondition("cloud VM %s has an open snapshot handle: close it"
          + " first (libvirt runs one backup job per VM)", vm.label());
    }
    try {
      found.domain().abortJob();
      log.warn("ended a backup job of cloud VM " + vm.label() + " that no snapshot handle"
          + " owns (a controller stopped while it ran)");
    } catch (LibvirtException e) {
      if (e.getError() == null
          || e.getError().getCode() != ErrorNumber.VIR_ERR_OPERATION_INVALID) {
        throw CloudException.io(e, "cannot end the backup job left on cloud VM %s", vm.label());
      }
      // No job is active on the domain: the usual case.
    }
  }

  /** Ends the VM's backup job, if it still runs (it ends with QEMU too). */
  private static void endJob(Found found, CloudVm vm) throws CloudException {
    try {
      if (found.domain().isActive() == 1) {
        found.domain().abortJob();
      }
    } catch (LibvirtException e) {
      if (!KvmDomains.isGone(e) && KvmCloud.isRunning(found)) {
        throw CloudException.io(e, "cannot end the backup job of cloud VM %s", vm.label());
      }
    }
  }

  private Path socket(CloudVm vm, String kind) {
    // Unix socket paths are limited to 107 bytes: a short name.
    return runDir.resolve(vm.id().substring(0, 8) + "-" + kind + counter.incrementAndGet()
        + ".sock");
  }

  private Path scratchDir(CloudVm vm) throws IOException {
    Path dir = vm.disks().get(0).path().resolveSibling("scratch");
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.toList()) {
        // Left by a job that ended with QEMU: libvirt wants new ones. A job that is just
        // ending may remove its own meanwhile.
        Files.deleteIfExists(file);
      }
    }
    return dir;
  }

  private static List<String> targets(CloudVm vm) {
    List<String> targets = new ArrayList<>();
    for (int i = 0; i < vm.disks().size(); i++) {
      targets.add(DomainXml.target(vm.devices(), i));
    }
    return targets;
  }
}
