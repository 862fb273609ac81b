package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.controller.cloud.CloudDevices;
import io.failback.proto.v1.VirtualMachine;
import org.junit.jupiter.api.Test;

/** The devices chosen for a cloud copy when the operator did not say, and when they did. */
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

  private static CloudDeviceChoice choose(io.failback.proto.v1.CloudDevices asked, String os) {
    return CloudDeviceChoice.of(asked, VirtualMachine.newBuilder().setGuestOs(os).build());
  }
}
