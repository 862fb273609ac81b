package io.failback.controller.cloud.kvm;

import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.Network;

/** Makes a VM's files and libvirt definition from a spec, and removes them again. */
final class KvmVmFactory {
  private static final long SECTOR = 512;

  private final Connect connect;
  private final KvmCloudOptions options;
  private final Clock clock;

  KvmVmFactory(Connect connect, KvmCloudOptions options, Clock clock) {
    this.connect = connect;
    this.options = options;
    this.clock = clock;
  }

  /** What marks this cloud's domains: its folder, absolute. */
  String cloudName() {
    return options.cloudDir().toAbsolutePath().normalize().toString();
  }

  Path vmDir(String vmId) {
    return options.cloudDir().resolve("vms").resolve(vmId);
  }

  /**
   * Creates the disks (empty qcow2 of each spec's size, whatever format the on-prem disk had),
   * plugs each NIC into the libvirt network named like its switch where there is one, and
   * defines the domain. On failure nothing is left behind.
   */
  KvmVmRecord create(CloudVmSpec spec, String vmId) throws CloudException {
    validate(spec);
    Path dir = vmDir(vmId);
    try {
      Files.createDirectories(dir);
      List<KvmVmRecord.Disk> disks = new ArrayList<>();
      for (int i = 0; i < spec.disks().size(); i++) {
        DiskSpec disk = spec.disks().get(i);
        Path file = dir.resolve("disk-" + i + ".qcow2");
        QemuImg.createQcow2(file, disk.virtualSize());
        disks.add(new KvmVmRecord.Disk(disk.name(), file.toString(), disk.virtualSize()));
      }
      List<KvmVmRecord.Nic> nics = new ArrayList<>();
      List<String> notes = new ArrayList<>();
      for (NicSpec nic : spec.nics()) {
        Optional<String> unplugged = networkProblem(nic.switchName());
        nics.add(new KvmVmRecord.Nic(nic.name(), nic.switchName(),
            unplugged.isPresent() ? null : nic.switchName()));
        unplugged.ifPresent(why -> notes.add("network adapter '" + nic.name() + "' left"
            + " unplugged: " + why));
      }
      KvmVmRecord record = new KvmVmRecord(vmId, spec.name(), spec.sourceVmId(),
          clock.instant().toString(), disks, nics, spec.memoryBytes(), spec.processorCount(),
          notes, cloudName(), spec.uefi(), spec.devices(), spec.guestFamily(), null);
      redefine(record, Optional.empty());
      return record;
    } catch (IOException | LibvirtException | RuntimeException e) {
      deleteFiles(vmId);
      throw CloudException.io(e, "cannot create cloud VM '%s'", spec.name());
    }
  }

  /** (Re)defines the persistent domain as the record says, e.g. at creation. */
  Domain redefine(KvmVmRecord record, Optional<DirectKernelBoot> boot) throws LibvirtException {
    return define(record, boot, Set.of());
  }

  private Domain define(KvmVmRecord record, Optional<DirectKernelBoot> boot,
      Set<String> networksDown) throws LibvirtException {
    return connect.domainDefineXML(DomainXml.of(record, options.domainType(), boot,
        vmDir(record.id()).resolve("console.log"), networksDown));
  }

  /** A start's definition of the domain, and what it left out of the VM and why. */
  record StartDefinition(Domain domain, List<String> notes) {}

  /**
   * Redefines the domain for a start with {@code boot}. A NIC whose network is gone or not
   * active is left out of this start, and said: the VM still comes up (in a disaster, its disks
   * and the rest of its NICs matter more than one network), where libvirt would refuse to
   * start it at all.
   */
  StartDefinition redefineForStart(KvmVmRecord record, Optional<DirectKernelBoot> boot)
      throws LibvirtException {
    Map<String, Optional<String>> checked = new HashMap<>();
    Set<String> down = new HashSet<>();
    List<String> notes = new ArrayList<>();
    for (KvmVmRecord.Nic nic : record.nics()) {
      if (nic.network() == null) {
        continue;
      }
      Optional<String> why = checked.computeIfAbsent(nic.network(), this::networkDown);
      if (why.isPresent()) {
        down.add(nic.network());
        notes.add("network adapter '" + nic.name() + "' left unplugged for this start: "
            + why.get());
      }
    }
    return new StartDefinition(define(record, boot, down), List.copyOf(notes));
  }

  /** Why the libvirt network {@code name} cannot carry a NIC now, or empty when it can. */
  private Optional<String> networkDown(String name) {
    try {
      Network network = connect.networkLookupByName(name);
      try {
        return network.isActive() == 1 ? Optional.empty()
            : Optional.of("libvirt network '" + name + "' is not active");
      } finally {
        network.free();
      }
    } catch (LibvirtException e) {
      if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_NETWORK) {
        return Optional.of("libvirt network '" + name + "' no longer exists");
      }
      return Optional.of("cannot look up libvirt network '" + name + "' (" + e.getMessage()
          + ")");
    }
  }

  /** Why a NIC on {@code switchName} cannot be plugged in, or empty when it can. */
  private Optional<String> networkProblem(String switchName) {
    try {
      connect.networkLookupByName(switchName).free();
      return Optional.empty();
    } catch (LibvirtException e) {
      if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_NETWORK) {
        return Optional.of("no libvirt network named '" + switchName + "'");
      }
      return Optional.of("cannot look up libvirt networks (" + e.getMessage() + ")");
    }
  }

  void deleteFiles(String vmId) throws CloudException {
    Path dir = vmDir(vmId);
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw CloudException.io(e, "cannot delete the files of cloud VM %s in %s", vmId, dir);
    }
  }

  private static void validate(CloudVmSpec spec) throws CloudException {
    if (spec.name().isBlank()) {
      throw CloudException.invalid("a cloud VM needs a name (copy of on-prem VM %s)",
          spec.sourceVmId());
    }
    for (DiskSpec disk : spec.disks()) {
      if (disk.virtualSize() <= 0 || disk.virtualSize() % SECTOR != 0) {
        throw CloudException.invalid("disk '%s' of cloud VM '%s': size %d is not a positive"
            + " multiple of %d", disk.name(), spec.name(), disk.virtualSize(), SECTOR);
      }
    }
    if (spec.disks().size() > 26) {
      throw CloudException.invalid("cloud VM '%s' has %d disks; at most 26 (vda-vdz, sda-sdz)",
          spec.name(), spec.disks().size());
    }
  }
}
