package io.failback.controller.cloud;

import static io.failback.controller.cloud.CloudException.invalid;
import static io.failback.controller.cloud.CloudException.notFound;
import static io.failback.controller.cloud.CloudException.precondition;

import io.failback.common.disk.BlockDevice;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.Lock;

/**
 * The embedded cloud: VMs, disks and snapshots in a local directory (layout in {@code
 * controller/CLOUD.md}); VMs "run" only in the sense of {@link SimulatedGuest}.
 *
 * <p>State survives a restart: VM records are written atomically on every change, and snapshot
 * tracking is persisted on {@link CloudSnapshot#close()} and {@link #close()}. One process at a
 * time may use a directory.
 *
 * <p>Threading: lifecycle operations are serialized on this object; disk I/O is not (see {@link
 * LocalVm} for how it is ordered against snapshots and shutdown).
 */
public final class LocalDirectoryCloud implements Cloud, AutoCloseable {
  private static final int SECTOR = 512;
  private static final long MAX_VHDX_SIZE = 64L << 40;

  private final CloudDirectory directory;
  private final Clock clock;
  private boolean closed;

  private LocalDirectoryCloud(CloudDirectory directory, Clock clock) {
    this.directory = directory;
    this.clock = clock;
  }

  /** Opens (creating it when missing) the cloud kept in {@code dir}. */
  public static LocalDirectoryCloud open(Path dir, Clock clock) throws CloudException {
    return new LocalDirectoryCloud(CloudDirectory.open(dir), clock);
  }

  @Override
  public synchronized List<CloudVm> list() throws CloudException {
    checkOpen();
    return directory.vms().stream()
        .map(LocalVm::vm)
        .sorted(Comparator.comparing(CloudVm::name).thenComparing(CloudVm::id))
        .toList();
  }

  @Override
  public synchronized Optional<CloudVm> get(String vmId) throws CloudException {
    checkOpen();
    return Optional.ofNullable(directory.vm(vmId)).map(LocalVm::vm);
  }

  @Override
  public synchronized CloudVm create(CloudVmSpec spec) throws CloudException {
    checkOpen();
    checkSpec(spec);
    String id = UUID.randomUUID().toString();
    try {
      LocalVm vm = LocalVm.create(directory.vmDir(id), id, spec, clock.instant());
      directory.add(vm);
      return vm.vm();
    } catch (IOException | RuntimeException e) {
      directory.deleteQuietly(directory.vmDir(id));
      throw CloudException.io(e, "cannot create cloud VM '%s'", spec.name());
    }
  }

  private static void checkSpec(CloudVmSpec spec) throws CloudException {
    if (spec.name().isBlank()) {
      throw invalid("a cloud VM needs a name (copy of on-prem VM %s)", spec.sourceVmId());
    }
    for (DiskSpec disk : spec.disks()) {
      if (disk.virtualSize() <= 0 || disk.virtualSize() % SECTOR != 0) {
        throw invalid("disk '%s' of cloud VM '%s': size %d is not a positive multiple of %d",
            disk.name(), spec.name(), disk.virtualSize(), SECTOR);
      }
      if (disk.format() == DiskFormat.QCOW2) {
        throw invalid("disk '%s' of cloud VM '%s': the local-directory cloud stores VHDX or raw"
            + " disks, not qcow2", disk.name(), spec.name());
      }
      if (disk.format() == DiskFormat.VHDX && disk.virtualSize() > MAX_VHDX_SIZE) {
        throw invalid("disk '%s' of cloud VM '%s': %d bytes exceeds the VHDX limit of 64 TiB",
            disk.name(), spec.name(), disk.virtualSize());
      }
    }
  }

  @Override
  public synchronized void start(String vmId) throws CloudException {
    LocalVm vm = requireVm(vmId);
    if (vm.hasWritableHandle()) {
      throw precondition("cloud VM %s has a disk open for writing (replication in progress):"
          + " close it before starting the VM", vm.vm().label());
    }
    transition(vm, PowerState.RUNNING);
  }

  /**
   * The tracking point is a snapshot of the OFF VM that keeps no bytes: its chunk maps record
   * which 64 KiB chunks the VM writes, persisted and vouched for as any snapshot's are.
   */
  @Override
  public synchronized String startTracked(String vmId) throws CloudException {
    LocalVm vm = requireVm(vmId);
    if (vm.vm().state() != PowerState.OFF) {
      throw precondition("cloud VM %s is %s already", vm.vm().label(), vm.vm().state());
    }
    String id = UUID.randomUUID().toString();
    try {
      Snapshots.persist(vm, Snapshots.take(directory, vm, id, clock.instant(), true));
    } catch (IOException e) {
      throw CloudException.io(e, "cannot make a tracking point of cloud VM %s", vm.vm().label());
    }
    try {
      start(vmId);
    } catch (CloudException | RuntimeException e) {
      try {
        releaseSnapshot(id);
      } catch (CloudException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return id;
  }

  @Override
  public synchronized void shutdown(String vmId) throws CloudException {
    LocalVm vm = requireVm(vmId);
    if (vm.vm().state() != PowerState.OFF) {
      transition(vm, PowerState.OFF);
    }
  }

  @Override
  public synchronized void setDevices(String vmId, CloudDevices devices) throws CloudException {
    LocalVm vm = requireVm(vmId);
    CloudVm current = vm.vm();
    if (current.state() != PowerState.OFF) {
      throw precondition("cloud VM %s is %s: its devices change only while it is OFF (shut it"
          + " down first)", current.label(), current.state());
    }
    try {
      vm.save(current.withDevices(devices));
    } catch (IOException e) {
      throw CloudException.io(e, "cannot change the devices of cloud VM %s", current.label());
    }
  }

  /**
   * Moves a VM to {@code next}, rejecting what {@link PowerState} does not allow.
   *
   * <p>Under the barrier write lock: once it is released in state OFF, no guest write is in flight
   * and none will start, and the disks were flushed before OFF was recorded.
   */
  private void transition(LocalVm vm, PowerState next) throws CloudException {
    CloudVm current = vm.vm();
    if (!current.state().canBecome(next)) {
      throw precondition("cloud VM %s is %s already", current.label(), current.state());
    }
    Lock lock = vm.writeBarrier();
    lock.lock();
    try {
      vm.flush();
      vm.save(current.withState(next));
    } catch (IOException e) {
      throw CloudException.io(e, "cannot change cloud VM %s to %s", current.label(), next);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public synchronized void delete(String vmId) throws CloudException {
    LocalVm vm = requireVm(vmId);
    if (vm.vm().state() == PowerState.RUNNING) {
      throw precondition("cloud VM %s is RUNNING: shut it down before deleting it",
          vm.vm().label());
    }
    if (!vm.handles().isEmpty()) {
      throw precondition("cloud VM %s has %d open disk handle(s): close them before deleting it",
          vm.vm().label(), vm.handles().size());
    }
    try {
      for (LocalSnapshot snapshot : directory.snapshotsOf(vmId)) {
        Snapshots.release(directory, vm, snapshot);
      }
      directory.delete(vm);
    } catch (IOException e) {
      throw CloudException.io(e, "cannot delete cloud VM %s", vm.vm().label());
    }
  }

  @Override
  public synchronized BlockDevice openDisk(String vmId, int diskIndex, boolean writable)
      throws CloudException {
    LocalVm vm = requireVm(vmId);
    checkDiskIndex(vm, diskIndex);
    if (writable && vm.vm().state() == PowerState.RUNNING) {
      throw precondition("cloud VM %s is RUNNING: shut it down before writing to its disk %d",
          vm.vm().label(), diskIndex);
    }
    // One writer per disk, as the KVM cloud's image locks allow: two replications writing
    // the same replica at once would be a bug this cloud must not hide.
    if (writable && vm.handles().stream().anyMatch(h -> h.writable() && h.index() == diskIndex)) {
      throw precondition("disk %d of cloud VM %s is open for writing already: one writer at a"
          + " time", diskIndex, vm.vm().label());
    }
    try {
      DiskHandle handle = new DiskHandle(vm, diskIndex, vm.disk(diskIndex), writable);
      vm.handles().add(handle);
      return handle;
    } catch (IOException e) {
      throw CloudException.io(e, "cannot open disk %d of cloud VM %s", diskIndex, vm.vm().label());
    }
  }

  @Override
  public synchronized CloudSnapshot snapshot(String vmId) throws CloudException {
    LocalVm vm = requireVm(vmId);
    try {
      String id = UUID.randomUUID().toString();
      LocalSnapshot snapshot = Snapshots.take(directory, vm, id, clock.instant(), false);
      return new SnapshotHandle(vm, snapshot, this::persist, null);
    } catch (IOException e) {
      throw CloudException.io(e, "cannot snapshot cloud VM %s", vm.vm().label());
    }
  }

  @Override
  public synchronized CloudSnapshot snapshot(String vmId, String since) throws CloudException {
    LocalSnapshot tracking = directory.snapshot(since);
    if (tracking != null && !tracking.vmId().equals(vmId)) {
      throw invalid("tracking point %s is not of cloud VM %s", since, vmId);
    }
    LocalVm vm = requireVm(vmId);
    try {
      LocalSnapshot snapshot = Snapshots.take(directory, vm, UUID.randomUUID().toString(),
          clock.instant(), false);
      // Read after this instant, the tracking point's chunks are a superset of those written
      // before it: a block written since is sent from the snapshot all the same.
      return new SnapshotHandle(vm, snapshot, this::persist, tracking);
    } catch (IOException e) {
      throw CloudException.io(e, "cannot snapshot cloud VM %s", vm.vm().label());
    }
  }

  @Override
  public synchronized CloudSnapshot openSnapshot(String snapshotId) throws CloudException {
    LocalSnapshot snapshot = requireSnapshot(snapshotId);
    LocalVm vm = directory.vm(snapshot.vmId());
    if (snapshot.trackingOnly()) {
      throw precondition("%s of cloud VM %s is a tracking point: it keeps no view of the disks",
          snapshotId, vm.vm().label());
    }
    if (!snapshot.tracking()) {
      throw precondition("snapshot %s of cloud VM %s lost its tracking in an unclean shutdown, so"
          + " it no longer shows its instant: release it and take a new one", snapshotId,
          vm.vm().label());
    }
    return new SnapshotHandle(vm, snapshot, this::persist, null);
  }

  @Override
  public synchronized Optional<long[]> changedBlocks(String snapshotId, int diskIndex,
      int blockSize) throws CloudException {
    LocalSnapshot snapshot = requireSnapshot(snapshotId);
    if (!ChangedBlocks.isValidBlockSize(blockSize)) {
      throw invalid("block size %d is not a power of two of at least %d", blockSize,
          ChangedBlocks.MIN_BLOCK_SIZE);
    }
    checkDiskIndex(directory.vm(snapshot.vmId()), diskIndex);
    if (!snapshot.tracking()) {
      return Optional.empty();
    }
    return Optional.of(ChangedBlocks.of(snapshot.store(diskIndex), blockSize));
  }

  @Override
  public synchronized List<String> snapshots(String vmId) throws CloudException {
    requireVm(vmId);
    return directory.snapshotsOf(vmId).stream().map(LocalSnapshot::id).sorted().toList();
  }

  @Override
  public synchronized void releaseSnapshot(String snapshotId) throws CloudException {
    LocalSnapshot snapshot = requireSnapshot(snapshotId);
    LocalVm vm = directory.vm(snapshot.vmId());
    try {
      Snapshots.release(directory, vm, snapshot);
    } catch (IOException e) {
      throw CloudException.io(e, "cannot release snapshot %s of cloud VM %s", snapshotId,
          vm.vm().label());
    }
  }

  @Override
  public synchronized SimulatedGuest guest(String vmId) throws CloudException {
    LocalVm vm = requireVm(vmId);
    if (vm.vm().state() != PowerState.RUNNING) {
      throw precondition("cloud VM %s is %s: only a RUNNING VM has a guest writing to its disks",
          vm.vm().label(), vm.vm().state());
    }
    return new LocalGuest(vm);
  }

  /** Persists a snapshot's tracking state while no write is in flight. */
  private synchronized void persist(LocalSnapshot snapshot) throws CloudException {
    LocalVm vm = directory.vm(snapshot.vmId());
    if (closed || vm == null || snapshot.released()) {
      return;
    }
    try {
      Snapshots.persist(vm, snapshot);
    } catch (IOException e) {
      throw CloudException.io(e, "cannot persist the tracking of snapshot %s of cloud VM %s",
          snapshot.id(), vm.vm().label());
    }
  }

  /** Persists all snapshot tracking, flushes and closes every disk, and unlocks the directory. */
  @Override
  public synchronized void close() throws CloudException {
    if (closed) {
      return;
    }
    try {
      directory.close(true);
    } catch (IOException e) {
      throw CloudException.io(e, "cannot close the cloud in %s cleanly", directory.root());
    } finally {
      closed = true;
    }
  }

  /** Simulates a crash: closes files and unlocks the directory, persisting nothing. */
  synchronized void crashForTesting() throws IOException {
    closed = true;
    directory.close(false);
  }

  private LocalVm requireVm(String vmId) throws CloudException {
    checkOpen();
    LocalVm vm = directory.vm(vmId);
    if (vm == null) {
      throw notFound("there is no cloud VM with id %s", vmId);
    }
    return vm;
  }

  private LocalSnapshot requireSnapshot(String snapshotId) throws CloudException {
    checkOpen();
    LocalSnapshot snapshot = directory.snapshot(snapshotId);
    if (snapshot == null) {
      throw notFound("there is no cloud snapshot with id %s", snapshotId);
    }
    return snapshot;
  }

  private static void checkDiskIndex(LocalVm vm, int diskIndex) throws CloudException {
    if (diskIndex < 0 || diskIndex >= vm.diskCount()) {
      throw invalid("cloud VM %s has %d disks; there is no disk %d", vm.vm().label(),
          vm.diskCount(), diskIndex);
    }
  }

  private void checkOpen() throws CloudException {
    if (closed) {
      throw precondition("the cloud in %s is closed", directory.root());
    }
  }
}
