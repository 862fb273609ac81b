package io.failback.controller.cloud;

import io.failback.common.disk.BlockDevice;
import java.util.List;
import java.util.Optional;

/**
 * Where failed-over VMs run in the cloud: their power state, their disks and point-in-time
 * snapshots of those disks with changed-block tracking.
 *
 * <p>One implementation per cloud; {@link LocalDirectoryCloud} keeps everything in a local
 * directory and is the embedded default. Implementations are safe for use from several threads.
 */
public interface Cloud extends AutoCloseable {
  /** Every VM, sorted by name then id. */
  List<CloudVm> list() throws CloudException;

  /** The VM with this id, or empty. */
  Optional<CloudVm> get(String vmId) throws CloudException;

  /** Creates an OFF VM with new empty disks (dynamic VHDX with 32 MiB blocks, or sparse raw). */
  CloudVm create(CloudVmSpec spec) throws CloudException;

  /**
   * Starts an OFF VM.
   *
   * @throws CloudException FAILED_PRECONDITION when it is RUNNING already or a writable disk
   *     handle from {@link #openDisk} is still open (replication into it has not finished)
   */
  void start(String vmId) throws CloudException;

  /**
   * Starts an OFF VM as {@link #start} does, with change tracking from before the guest's first
   * write: the id of that tracking point, which {@link #snapshot(String, String)} reports the
   * changes since, or empty when this cloud could not make one (the VM runs either way). It is
   * listed and released as a snapshot.
   */
  String startTracked(String vmId) throws CloudException;

  /**
   * What the last start of the VM in this process left out of it, and why (a network adapter
   * whose network is not active), for the job to say; empty when nothing was.
   */
  default List<String> startNotes(String vmId) {
    return List.of();
  }

  /**
   * Makes the disks and NICs of an OFF VM appear to its guest as {@code devices} from its next
   * start on; the bytes on its disks stay as they are.
   *
   * @throws CloudException FAILED_PRECONDITION when it is RUNNING
   */
  void setDevices(String vmId, CloudDevices devices) throws CloudException;

  /**
   * Gives an OFF UEFI VM's firmware {@code entry} as its one boot entry, from its next start on:
   * what the on-prem VM's firmware held for its OS, which Hyper-V keeps outside the disks. The
   * bytes on its disks stay as they are.
   *
   * @return false when this cloud keeps no firmware variables (its VMs boot only the
   *     removable-media path)
   * @throws CloudException FAILED_PRECONDITION when it is RUNNING, INVALID_ARGUMENT when it
   *     does not boot through UEFI
   */
  default boolean setBootEntry(String vmId, io.failback.controller.boot.EfiBootEntry entry)
      throws CloudException {
    return false;
  }

  /**
   * Shuts a RUNNING VM down; does nothing when it is OFF.
   *
   * <p>When this returns no guest write is in progress or will ever complete, and the disks are
   * flushed: what changed since a snapshot is final.
   */
  void shutdown(String vmId) throws CloudException;

  /**
   * Stops a RUNNING VM at once, without asking its guest first (one that hangs would not
   * answer); otherwise as {@link #shutdown}, whose guarantees hold.
   */
  default void powerOff(String vmId) throws CloudException {
    shutdown(vmId);
  }

  /**
   * Deletes the VM, its disks and its snapshots.
   *
   * @throws CloudException FAILED_PRECONDITION when it is RUNNING or a disk handle is open
   */
  void delete(String vmId) throws CloudException;

  /**
   * The live disk: writable for replication into an OFF VM, read-only for reading an OFF VM.
   *
   * <p>Writes go through the snapshot tracking layer like the guest's. Closing the handle never
   * closes the disk itself.
   *
   * @throws CloudException FAILED_PRECONDITION for {@code writable} while the VM is RUNNING,
   *     or while another writable handle of the disk is open (one writer at a time: the KVM
   *     cloud's qemu-nbd holds QEMU's image lock)
   */
  BlockDevice openDisk(String vmId, int diskIndex, boolean writable) throws CloudException;

  /**
   * A point-in-time view of all disks of a RUNNING or OFF VM, not disturbed by later writes;
   * change tracking starts at this instant.
   *
   * <p>Closing the handle persists the tracking state but keeps the snapshot; {@link
   * #releaseSnapshot} deletes it.
   */
  CloudSnapshot snapshot(String vmId) throws CloudException;

  /**
   * A snapshot as {@link #snapshot(String)} takes, whose {@link CloudSnapshot#changedSince}
   * tells the blocks written between tracking point {@code since} ({@link #startTracked}) and
   * the snapshot's instant; it tells nothing when that tracking was lost or is unknown.
   */
  CloudSnapshot snapshot(String vmId, String since) throws CloudException;

  /**
   * A new handle on an existing snapshot, e.g. after a restart of the process.
   *
   * @throws CloudException FAILED_PRECONDITION when its tracking was lost in an unclean shutdown
   *     (the preserved bytes are incomplete, so it no longer shows its instant)
   */
  CloudSnapshot openSnapshot(String snapshotId) throws CloudException;

  /**
   * Indexes of the {@code blockSize}-byte blocks written since the snapshot, ascending, or empty
   * when tracking is unavailable (after an unclean shutdown): callers then compare checksums.
   *
   * @param blockSize a power of two of at least 4096
   */
  Optional<long[]> changedBlocks(String snapshotId, int diskIndex, int blockSize)
      throws CloudException;

  /**
   * About how many bytes of disk {@code diskIndex} were written since the snapshot, as the
   * hypervisor counts them, for a prediction where {@link #changedBlocks} cannot answer now (a
   * KVM snapshot whose handle is open); empty when this cloud cannot tell.
   */
  default java.util.OptionalLong changedBytes(String snapshotId, int diskIndex)
      throws CloudException {
    return java.util.OptionalLong.empty();
  }

  /** The ids of the VM's snapshots, sorted, e.g. to find one a restarted process lost. */
  List<String> snapshots(String vmId) throws CloudException;

  /** Deletes a snapshot and what it preserved; open handles on it fail from then on. */
  void releaseSnapshot(String snapshotId) throws CloudException;

  /**
   * SIMULATION, for demos and tests only: the guest OS of a RUNNING VM writing to its disks.
   *
   * @throws CloudException FAILED_PRECONDITION when the VM is not RUNNING
   */
  SimulatedGuest guest(String vmId) throws CloudException;

  /** Saves tracking state and releases the cloud's resources. */
  @Override
  void close() throws CloudException;
}
