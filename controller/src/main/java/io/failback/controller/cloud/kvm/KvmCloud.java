package io.failback.controller.cloud.kvm;

import io.failback.common.disk.BlockDevice;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudSnapshot;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.cloud.SimulatedGuest;
import io.failback.controller.cloud.kvm.KvmDomains.Found;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
  // libvirt's virDomainUndefineFlags: drop snapshot and checkpoint metadata with the domain.
  private static final int UNDEFINE_SNAPSHOTS_METADATA = 1 << 1;
  private static final int UNDEFINE_CHECKPOINTS_METADATA = 1 << 4;

  private final KvmCloudOptions options;
  private final LibvirtSession libvirt;
  private final KvmDomains domains;
  private final KvmVmFactory factory;
  private final DiskExports exports;

  private KvmCloud(KvmCloudOptions options, LibvirtSession libvirt, Clock clock) {
    this.options = options;
    this.libvirt = libvirt;
    this.domains = new KvmDomains(libvirt.connect());
    this.factory = new KvmVmFactory(libvirt.connect(), options, clock);
    this.exports = new DiskExports(options.cloudDir().resolve("run"));
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
    CloudVm vm = vm(found);
    if (vm.state() != PowerState.OFF) {
      throw CloudException.precondition("cloud VM %s is %s already", vm.label(), vm.state());
    }
    if (exports.anyOpen(vmId)) {
      // QEMU could not lock the disk anyway; and a replication into it has not finished.
      throw CloudException.precondition("cloud VM %s has an open disk handle: close it (finish"
          + " the replication) before starting the VM", vm.label());
    }
    try {
      Domain domain = factory.redefine(found.record(), options.boot().bootFor(vm));
      domain.create();
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot start cloud VM %s", vm.label());
    }
  }

  @Override
  public synchronized void shutdown(String vmId) throws CloudException {
    Found found = domains.require(vmId);
    new GracefulShutdown(found.domain(), options.shutdownTimeout(), vm(found).label()).run();
  }

  @Override
  public synchronized void delete(String vmId) throws CloudException {
    Found found = domains.require(vmId);
    CloudVm vm = vm(found);
    if (vm.state() != PowerState.OFF) {
      throw CloudException.precondition("cloud VM %s is %s: shut it down first", vm.label(),
          vm.state());
    }
    if (exports.anyOpen(vmId)) {
      throw CloudException.precondition("cloud VM %s has an open disk handle", vm.label());
    }
    try {
      found.domain().undefine(UNDEFINE_SNAPSHOTS_METADATA | UNDEFINE_CHECKPOINTS_METADATA);
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot undefine cloud VM %s", vm.label());
    }
    factory.deleteFiles(vmId);
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

  @Override
  public CloudSnapshot snapshot(String vmId) throws CloudException {
    throw notYet("snapshots");
  }

  @Override
  public CloudSnapshot openSnapshot(String snapshotId) throws CloudException {
    throw notYet("snapshots");
  }

  @Override
  public Optional<long[]> changedBlocks(String snapshotId, int diskIndex, int blockSize)
      throws CloudException {
    throw notYet("changed blocks");
  }

  @Override
  public List<String> snapshots(String vmId) throws CloudException {
    domains.require(vmId);
    return List.of(); // None can have been taken: snapshot() is refused.
  }

  @Override
  public void releaseSnapshot(String snapshotId) throws CloudException {
    throw CloudException.notFound("no snapshot %s in the KVM cloud", snapshotId);
  }

  @Override
  public SimulatedGuest guest(String vmId) throws CloudException {
    throw CloudException.precondition("the KVM cloud runs real guests: there is no simulated"
        + " guest for cloud VM %s (simulated writes are a local-directory cloud feature)", vmId);
  }

  @Override
  public synchronized void close() throws CloudException {
    exports.closeAll();
    libvirt.close();
  }

  /** The folder of a VM's disks and console log. */
  public Path vmDir(String vmId) {
    return factory.vmDir(vmId);
  }

  private static CloudVm vm(Found found) throws CloudException {
    try {
      return found.record().toCloudVm(KvmDomains.state(found.domain()));
    } catch (LibvirtException e) {
      throw CloudException.io(e, "cannot read the state of cloud VM %s", found.record().id());
    }
  }

  private static CloudException notYet(String what) {
    return CloudException.precondition("the KVM cloud does not support %s yet (checkpoints and"
        + " pull-mode backups are the next step); use the local-directory cloud for failback",
        what);
  }
}
