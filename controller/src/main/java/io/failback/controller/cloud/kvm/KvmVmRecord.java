package io.failback.controller.cloud.kvm;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import io.failback.controller.cloud.CloudDevices;
import io.failback.controller.cloud.CloudDisk;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import io.failback.controller.cloud.DiskFormat;
import io.failback.controller.cloud.GuestFamily;
import io.failback.controller.cloud.PowerState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the KVM cloud knows of a VM beyond libvirt's own view, kept as JSON in the domain's
 * {@code <metadata>}: so libvirt is the one store, and a VM and its record cannot drift apart.
 *
 * @param cloud the folder of the KVM cloud the VM belongs to: several clouds (controllers, tests)
 *     may share one libvirt, and each sees only its own VMs
 * @param uefi whether the domain boots through UEFI firmware: a generation 2 Hyper-V VM's disk
 *     has no BIOS boot code. A record from before this was kept reads false, a BIOS, as every
 *     domain had then
 * @param devices what the disks and NICs appear as to the guest; a record from before this was
 *     kept reads VIRTIO, as every domain had then
 * @param guestFamily the guest OS's family (its clock and enlightenments); a record from before
 *     this was kept reads OTHER, the UTC clock every domain had then
 * @param firmware the UEFI firmware and variable store of its own a UEFI domain boots with, once
 *     Failback wrote a boot entry; null: libvirt's choice, with a store of libvirt's
 */
record KvmVmRecord(String id, String name, String sourceVmId, String createdAt,
    List<Disk> disks, List<Nic> nics, long memoryBytes, int processorCount, List<String> notes,
    String cloud, boolean uefi, CloudDevices devices, GuestFamily guestFamily,
    Firmware firmware) {
  private static final Gson GSON = new Gson();

  KvmVmRecord {
    devices = devices == null ? CloudDevices.VIRTIO : devices;
    guestFamily = guestFamily == null ? GuestFamily.OTHER : guestFamily;
  }

  /** A VM with virtio devices whose guest is not Windows. */
  KvmVmRecord(String id, String name, String sourceVmId, String createdAt, List<Disk> disks,
      List<Nic> nics, long memoryBytes, int processorCount, List<String> notes, String cloud,
      boolean uefi) {
    this(id, name, sourceVmId, createdAt, disks, nics, memoryBytes, processorCount, notes, cloud,
        uefi, CloudDevices.VIRTIO, GuestFamily.OTHER, null);
  }

  /** This record with {@code next} devices. */
  KvmVmRecord withDevices(CloudDevices next) {
    return new KvmVmRecord(id, name, sourceVmId, createdAt, disks, nics, memoryBytes,
        processorCount, notes, cloud, uefi, next, guestFamily, firmware);
  }

  /** This record with a guest of {@code family}. */
  KvmVmRecord withGuestFamily(GuestFamily family) {
    return new KvmVmRecord(id, name, sourceVmId, createdAt, disks, nics, memoryBytes,
        processorCount, notes, cloud, uefi, devices, family, firmware);
  }

  /** This record booting with {@code next}. */
  KvmVmRecord withFirmware(Firmware next) {
    return new KvmVmRecord(id, name, sourceVmId, createdAt, disks, nics, memoryBytes,
        processorCount, notes, cloud, uefi, devices, guestFamily, next);
  }

  /**
   * UEFI firmware code and the VM's own variable store (a file in its folder), which holds the
   * boot entry {@code bootEntry} (as the firmware prints its device path).
   */
  record Firmware(String code, String vars, String bootEntry) {}

  record Disk(String name, String file, long virtualSize) {}

  /** One NIC; {@code network} is the libvirt network it is plugged into, or null (unplugged). */
  record Nic(String name, String switchName, String network) {}

  String toJson() {
    return GSON.toJson(this);
  }

  /** The record in a domain's metadata, or empty when the text is not one (not our domain). */
  static Optional<KvmVmRecord> fromJson(String json) {
    try {
      KvmVmRecord record = GSON.fromJson(json, KvmVmRecord.class);
      return record == null || record.id == null || record.disks == null || record.nics == null
          || record.cloud == null ? Optional.empty()
          : Optional.of(record);
    } catch (JsonParseException e) {
      return Optional.empty();
    }
  }

  CloudVm toCloudVm(PowerState state) {
    List<CloudDisk> cloudDisks = disks.stream()
        .map(d -> new CloudDisk(d.name(), Path.of(d.file()), DiskFormat.QCOW2, d.virtualSize()))
        .toList();
    List<NicSpec> cloudNics = nics.stream().map(n -> new NicSpec(n.name(), n.switchName()))
        .toList();
    return new CloudVm(id, name, sourceVmId, state, cloudDisks, cloudNics,
        Instant.parse(createdAt), notes == null ? List.of() : notes, devices, guestFamily);
  }

  /** The libvirt domain name: unique, and recognisably ours in {@code virsh list}. */
  String domainName() {
    return "failback-" + id;
  }
}
