package io.failback.controller.lifecycle;

import io.failback.common.text.BoundedText;
import io.failback.controller.cloud.CloudDevices;
import io.failback.controller.cloud.GuestFamily;
import io.failback.proto.v1.VirtualMachine;

/**
 * What a VM's cloud copy's disks and NICs appear as to its guest, and why, for the job to say.
 * Asked for, or chosen from the guest's OS as its host reports it: Windows brings no virtio
 * drivers, so its copy gets emulated devices its own drivers find the boot disk through (on
 * virtio it would stop with INACCESSIBLE_BOOT_DEVICE); Linux, or a guest that does not say,
 * gets virtio, the fastest.
 */
record CloudDeviceChoice(CloudDevices devices, String why) {

  /** {@code asked} (a request's or an item's), or when unspecified the choice from the OS. */
  static CloudDeviceChoice of(io.failback.proto.v1.CloudDevices asked, VirtualMachine vm) {
    return switch (asked) {
      case VIRTIO -> new CloudDeviceChoice(CloudDevices.VIRTIO, "as set for the VM");
      case EMULATED -> new CloudDeviceChoice(CloudDevices.EMULATED, "as set for the VM");
      default -> fromGuest(vm.getGuestOs());
    };
  }

  private static CloudDeviceChoice fromGuest(String guestOs) {
    if (guestOs.isBlank()) {
      return new CloudDeviceChoice(CloudDevices.VIRTIO, "the guest does not say its OS;"
          + " SetCloudDevices EMULATED if it has no virtio drivers");
    }
    String os = BoundedText.quote(guestOs);
    return GuestFamily.of(guestOs) == GuestFamily.WINDOWS
        ? new CloudDeviceChoice(CloudDevices.EMULATED, "the guest reports " + os
            + ", which has no virtio drivers of its own; SetCloudDevices VIRTIO once the"
            + " virtio-win drivers are installed")
        : new CloudDeviceChoice(CloudDevices.VIRTIO, "the guest reports " + os);
  }

  /** The cloud's value of an API value that is VIRTIO or EMULATED. */
  static CloudDevices fromProto(io.failback.proto.v1.CloudDevices devices) {
    return devices == io.failback.proto.v1.CloudDevices.VIRTIO ? CloudDevices.VIRTIO
        : CloudDevices.EMULATED;
  }

  /** The proto value an item keeps. */
  io.failback.proto.v1.CloudDevices toProto() {
    return devices == CloudDevices.VIRTIO ? io.failback.proto.v1.CloudDevices.VIRTIO
        : io.failback.proto.v1.CloudDevices.EMULATED;
  }

  /** "with virtio devices (why)" or "with SATA disks and e1000e NICs (why)". */
  String describe() {
    return (devices == CloudDevices.VIRTIO ? "with virtio devices"
        : "with SATA disks and e1000e NICs") + " (" + why + ")";
  }
}
