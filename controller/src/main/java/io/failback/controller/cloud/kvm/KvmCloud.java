package io.failback.controller.cloud.kvm;

import io.failback.common.disk.BlockDevice;
import io.failback.controller.boot.EfiBootEntry;
import io.failback.controller.boot.OvmfVarStore;
import io.failback.controller.cloud.AtomicFiles;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.CloudDevices;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudSnapshot;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.cloud.SimulatedGuest;
import io.failback.controller.cloud.kvm.KvmDomains.Found;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * A {@link Cloud} of libvirt domains with qcow2 disks: real VMs under QEMU/KVM.
 *
 * <p>libvirt holds the state: each VM is a persistent domain whose UUID is the VM id and whose
 * metadata holds the {@link KvmVmRecord}; disks and console logs live in {@code
 * <cloud-dir>/vms/<id>/}. Lifecycle calls are serialized on this object (a shutdown waits for
 * the guest while holding it); disk handles are used from any thread.
 */
public final class KvmCloud implements Cloud {
  // libvirt's virDomainUndefineFlags: drop snapshot and checkpoint metadata, and a UEFI VM's
  // variable store, with the domain (libvirt refuses to undefine a domain with a store else).
  private static final int UNDEFINE_SNAPSHOTS_METADATA = 1 << 1;
  private static final int UNDEFINE_NVRAM = 1 << 2;
  private static final int UNDEFINE_CHECKPOINTS_METADATA = 1 << 4;

  private final KvmCloudOptions options;
  private final LibvirtSession libvirt;
  private final KvmDomains domains;
  private final KvmVmFactory factory;
  private final DiskExports exports;
  private final KvmSnapshots snapshots;
  /** What each VM's last start in this process left out (KvmVmFactory.redefineForStart). */
  private final java.util.Map<String, List<String>> startNotes = new java.util.HashMap<>();

  private KvmCloud(KvmCloudOptions options, LibvirtSession libvirt, Clock clock) {
    this.options = options;
    this.libvirt = libvirt;
    this.factory = new KvmVmFactory(libvirt.connect(), options, clock);
    this.domains = new KvmDomains(libvirt.connect(), factory.cloudName());
    this.exports = new DiskExports(options.cloudDir().resolve("run"));
    this.snapshots = new KvmSnapshots(domains, options.cloudDir().resolve("run"), clock);
  }

  /** Connects to libvirt at {@code options.libvirtUri()}; VMs already defined are kept. */
  public static KvmCloud open(KvmCloudOptions options, Clock clock) throws CloudException {
    try {
      Files.createDirectories(options.cloudDir().resolve("vms"));
    } catch (IOException e) {
      throw CloudException.io(e, "cannot create the KVM cloud folder %s", options.cloudDir());
    }
    return new KvmCloud(options, LibvirtSession.open(options.libvirtUri()), clock);
  }

  @Override
  public synchronized List<CloudVm> list() throws CloudException {
    List<CloudVm> vms = new ArrayList<>();
    for (Found found : domains.all()) {
      vms.add(vm(found));
    }
    vms.sort(Comparator.comparing(CloudVm::name).thenComparing(CloudVm::id));
    return vms;
  }

  @Override
  public synchronized Optional<CloudVm> get(String vmId) throws CloudException {
    Optional<Found> found = domains.find(vmId);
    return found.isEmpty() ? Optional.empty() : Optional.of(vm(found.get()));
  }

  @Override
  public synchronized CloudVm create(CloudVmSpec spec) throws CloudException {
    KvmVmRecord record = factory.create(spec, UUID.randomUUID().toString());
    return record.toCloudVm(PowerState.OFF);
  }

  @Override
  public synchronized void start(String vmId) throws CloudException {
    Found found = domains.require(vmId);
    try {
      startable(found).create();
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot start cloud VM %s", vm(found).label());
    }
  }

  /** A checkpoint taken while the domain is paused before its first instruction. */
  @Override
  public synchronized String startTracked(String vmId) throws CloudException {
    Found found = domains.require(vmId);
    Domain domain = startable(found);
    return snapshots.startTracked(found, vm(found), domain).orElse("");
  }

  /** The OFF VM's domain, defined afresh for its next boot. */
  private Domain startable(Found found) throws CloudException {
    CloudVm vm = vm(found);
    if (vm.state() != PowerState.OFF) {
      throw CloudException.precondition("cloud VM %s is %s already", vm.label(), vm.state());
    }
    if (exports.anyOpen(vm.id()) || snapshots.anyOpen(vm.id())) {
      // QEMU could not lock the disk anyway; and a replication into it has not finished.
      throw CloudException.precondition("cloud VM %s has an open disk handle: close it (finish"
          + " the replication) before starting the VM", vm.label());
    }
    try {
      KvmVmFactory.StartDefinition definition = factory.redefineForStart(found.record(),
          options.boot().bootFor(vm));
      startNotes.put(vm.id(), definition.notes());
      return definition.domain();
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot start cloud VM %s", vm.label());
    }
  }

  @Override
  public synchronized List<String> startNotes(String vmId) {
    return startNotes.getOrDefault(vmId, List.of());
  }

  @Override
  public synchronized void setDevices(String vmId, CloudDevices devices) throws CloudException {
    Found found = domains.require(vmId);
    CloudVm vm = vm(found);
    if (vm.state() != PowerState.OFF) {
      throw CloudException.precondition("cloud VM %s is %s: its devices change only while it is"
          + " OFF (shut it down first)", vm.label(), vm.state());
    }
    try {
      factory.redefine(found.record().withDevices(devices), Optional.empty());
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot change the devices of cloud VM %s", vm.label());
    }
  }

  /** Writes the VM's own variable store from the firmware's empty one, with {@code entry}. */
  @Override
  public synchronized boolean setBootEntry(String vmId, EfiBootEntry entry)
      throws CloudException {
    Found found = domains.require(vmId);
    CloudVm vm = vm(found);
    if (vm.state() != PowerState.OFF) {
      throw CloudException.precondition("cloud VM %s is %s: its boot entries change only while"
          + " it is OFF", vm.label(), vm.state());
    }
    if (!found.record().uefi()) {
      throw CloudException.invalid("cloud VM %s boots through a BIOS, not UEFI", vm.label());
    }
    try {
      UefiFirmware firmware = UefiFirmware.find(UefiFirmware.DESCRIPTOR_DIRS).orElseThrow(
          () -> new IOException("no UEFI firmware descriptor for an i440fx machine in "
              + UefiFirmware.DESCRIPTOR_DIRS));
      Path vars = factory.vmDir(vmId).resolve("uefi-vars.fd");
      AtomicFiles.write(vars, ByteBuffer.wrap(OvmfVarStore.withBootEntry(
          Files.readAllBytes(firmware.varsTemplate()), entry.loadOption("Failback: "
              + entry.loaderPath()))));
      factory.redefine(found.record().withFirmware(new KvmVmRecord.Firmware(
          firmware.code().toString(), vars.toString(), entry.devicePath())), Optional.empty());
      return true;
    } catch (IOException | LibvirtException e) {
      throw CloudException.io(e, "cannot write the boot entry of cloud VM %s", vm.label());
    }
  }

  @Override
  public synchronized void shutdown(String vmId) throws CloudException {
    Found found = domains.require(vmId);
    new GracefulShutdown(found.domain(), options.shutdownTimeout(), vm(found).label()).run();
  }

  @Override
  public synchronized void powerOff(String vmId) throws CloudException {
    Found found = domains.require(vmId);
    new GracefulShutdown(found.domain(), Duration.ZERO, vm(found).label()).run();
  }

  @Override
  public synchronized void delete(String vmId) throws CloudException {
    Found found = domains.require(vmId);
    CloudVm vm = vm(found);
    if (vm.state() != PowerState.OFF) {
      throw CloudException.precondition("cloud VM %s is %s: shut it down first", vm.label(),
          vm.state());
    }
    if (exports.anyOpen(vmId) || snapshots.anyOpen(vmId)) {
      throw CloudException.precondition("cloud VM %s has an open disk or snapshot handle",
          vm.label());
    }
    try {
      found.domain().undefine(UNDEFINE_SNAPSHOTS_METADATA | UNDEFINE_NVRAM
          | UNDEFINE_CHECKPOINTS_METADATA);
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot undefine cloud VM %s", vm.label());
    }
    factory.deleteFiles(vmId);
    startNotes.remove(vmId);
  }

  @Override
  public synchronized BlockDevice openDisk(String vmId, int diskIndex, boolean writable)
      throws CloudException {
    CloudVm vm = vm(domains.require(vmId));
    if (vm.state() != PowerState.OFF) {
      // QEMU holds the image's write lock while the guest runs; reads go through snapshots.
      throw CloudException.precondition("cloud VM %s is %s: its disks open only while it is"
          + " OFF (read a running VM through a snapshot)", vm.label(), vm.state());
    }
    if (diskIndex < 0 || diskIndex >= vm.disks().size()) {
      throw CloudException.invalid("cloud VM %s has %d disks; there is no disk %d", vm.label(),
          vm.disks().size(), diskIndex);
    }
    return exports.open(vmId, diskIndex, vm.disks().get(diskIndex).path(), writable);
  }

  /**
   * A libvirt checkpoint of every disk; for a running VM taken together with a pull-mode backup
   * job, whose NBD exports are the views (copy-before-write keeps them at the instant).
   *
   * @throws CloudException FAILED_PRECONDITION while another snapshot handle of the VM is open
   *     (libvirt runs one backup job per domain)
   */
  @Override
  public synchronized CloudSnapshot snapshot(String vmId) throws CloudException {
    Found found = domains.require(vmId);
    return snapshots.take(found, vm(found), Optional.empty());
  }

  /**
   * With the writes since checkpoint {@code since} exported beside each disk (an incremental
   * pull-mode backup); for an OFF VM, or a checkpoint whose bitmap QEMU lost, without them.
   */
  @Override
  public synchronized CloudSnapshot snapshot(String vmId, String since) throws CloudException {
    if (!since.startsWith(vmId + ".")) {
      throw CloudException.invalid("tracking point %s is not of cloud VM %s", since, vmId);
    }
    Found found = domains.require(vmId);
    CloudVm vm = vm(found);
    return snapshots.take(found, vm, vm.state() == PowerState.RUNNING ? Optional.of(since)
        : Optional.empty());
  }

  /**
   * Refused: a KVM snapshot's point-in-time view is a backup job that ends with its first
   * handle; its checkpoint lives on for {@link #changedBlocks}.
   */
  @Override
  public synchronized CloudSnapshot openSnapshot(String snapshotId) throws CloudException {
    snapshots.vmOf(snapshotId);
    throw CloudException.precondition("snapshot %s: the KVM cloud's point-in-time view ended"
        + " with its first handle (a libvirt backup job); take a new snapshot", snapshotId);
  }

  /**
   * The checkpoint's dirty bitmap through NBD block status: of the qcow2 through qemu-nbd when
   * the VM is OFF, of an incremental pull-mode backup while it runs. Empty when QEMU was killed
   * since (the bitmap is lost or flagged inconsistent): callers compare checksums.
   */
  @Override
  public synchronized Optional<long[]> changedBlocks(String snapshotId, int diskIndex,
      int blockSize) throws CloudException {
    DirtyBlocks.checkBlockSize(blockSize);
    return snapshots.changedBlocks(snapshotId, diskIndex, blockSize);
  }

  /** The size libvirt reports for the checkpoint's disk (its dirty bitmap), while it runs. */
  @Override
  public synchronized java.util.OptionalLong changedBytes(String snapshotId, int diskIndex)
      throws CloudException {
    return snapshots.changedBytes(snapshotId, diskIndex);
  }

  @Override
  public synchronized List<String> snapshots(String vmId) throws CloudException {
    return snapshots.list(domains.require(vmId));
  }

  @Override
  public synchronized void releaseSnapshot(String snapshotId) throws CloudException {
    snapshots.release(snapshotId);
  }

  @Override
  public SimulatedGuest guest(String vmId) throws CloudException {
    throw CloudException.precondition("the KVM cloud runs real guests: there is no simulated"
        + " guest for cloud VM %s (simulated writes are a local-directory cloud feature)", vmId);
  }

  @Override
  public synchronized void close() throws CloudException {
    try {
      snapshots.closeAll();
      exports.closeAll();
    } finally {
      libvirt.close();
    }
  }

  /** The folder of a VM's disks and console log. */
  /** libvirt's XML of the VM's domain as it runs now (firmware, devices): what libvirt made. */
  synchronized String domainXml(String vmId) throws CloudException {
    try {
      return domains.require(vmId).domain().getXMLDesc(0);
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot read the domain of cloud VM %s", vmId);
    }
  }

  public Path vmDir(String vmId) {
    return factory.vmDir(vmId);
  }

  static boolean isRunning(Found found) throws CloudException {
    return vm(found).state() == PowerState.RUNNING;
  }

  static CloudVm vm(Found found) throws CloudException {
    try {
      return found.record().toCloudVm(KvmDomains.state(found.domain()));
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot read the state of cloud VM %s", found.record().id());
    }
  }
}
