package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.controller.cloud.CloudDevices;
import io.failback.controller.cloud.CloudVmSpec;
import io.failback.controller.cloud.GuestFamily;
import io.failback.proto.v1.VirtualMachine;
import org.junit.jupiter.api.Test;

/**
 * The devices chosen for a cloud copy when the operator did not say, and when they did; and its
 * guest's family.
 */
class CloudDeviceChoiceTest {
  private static final io.failback.proto.v1.CloudDevices UNSPECIFIED =
      io.failback.proto.v1.CloudDevices.CLOUD_DEVICES_UNSPECIFIED;

  @Test
  void windowsGetsEmulatedDevicesLinuxAndSilentGuestsVirtioAndAnAskedValueWins() {
    assertEquals(CloudDevices.EMULATED, choose(UNSPECIFIED, "Microsoft Windows 10 Pro").devices());
    CloudDeviceChoice linux = choose(UNSPECIFIED, "Ubuntu 22.04.3 LTS");
    assertEquals(CloudDevices.VIRTIO, linux.devices());
    assertEquals("with virtio devices (the guest reports 'Ubuntu 22.04.3 LTS')",
        linux.describe());
    CloudDeviceChoice silent = choose(UNSPECIFIED, "");
    assertEquals(CloudDevices.VIRTIO, silent.devices());
    assertTrue(silent.why().startsWith("the guest does not say its OS"), silent.why());
    CloudDeviceChoice asked = choose(io.failback.proto.v1.CloudDevices.VIRTIO,
        "Windows Server 2019 Standard");
    assertEquals(CloudDevices.VIRTIO, asked.devices());
    assertEquals("as set for the VM", asked.why());
    assertEquals(io.failback.proto.v1.CloudDevices.EMULATED,
        choose(io.failback.proto.v1.CloudDevices.EMULATED, "").toProto());
  }

  /**
   * The cloud VM's guest family follows the OS its host reports, whatever devices it gets: the
   * operator may give a Windows guest virtio devices (once it has the drivers), it stays Windows.
   */
  @Test
  void theSpecsGuestFamilyFollowsTheReportedOsWhateverTheDevices() throws Exception {
    for (CloudDevices devices : CloudDevices.values()) {
      assertEquals(GuestFamily.WINDOWS, spec("Windows Server 2022 Datacenter", devices)
          .guestFamily());
      assertEquals(devices, spec("Microsoft Windows 10 Pro", devices).devices());
      assertEquals(GuestFamily.OTHER, spec("Ubuntu 22.04.3 LTS", devices).guestFamily());
      assertEquals(GuestFamily.OTHER, spec("", devices).guestFamily());
    }
  }

  private static CloudVmSpec spec(String os, CloudDevices devices) throws Exception {
    return FlowSupport.cloudSpec(VirtualMachine.newBuilder().setId("vm-1").setName("app-01")
        .setGuestOs(os).build(), devices);
  }

  private static CloudDeviceChoice choose(io.failback.proto.v1.CloudDevices asked, String os) {
    return CloudDeviceChoice.of(asked, VirtualMachine.newBuilder().setGuestOs(os).build());
  }
}
