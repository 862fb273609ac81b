package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.controller.cloud.CloudDisk;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import io.failback.controller.cloud.DiskFormat;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The CreateVm a failback sends: the original's Secure Boot setting, never a guess. */
class NewVmShapeTest {
  private static final SecureBoot UEFI_CA = SecureBoot.newBuilder().setEnabled(true)
      .setTemplateName("MicrosoftUEFICertificateAuthority").build();
  private static final SecureBoot OFF = SecureBoot.newBuilder().setEnabled(false)
      .setTemplateName("MicrosoftWindows").build();
  private static final ProtectedItem ITEM = ProtectedItem.newBuilder().setVmId("vm-1")
      .setVmName("app-01").build();
  private static final CloudVm CLOUD = new CloudVm("c-1", "app-01", "vm-1", PowerState.OFF,
      List.of(new CloudDisk("d0", Path.of("d0"), DiskFormat.RAW, 1L << 30)),
      List.of(new NicSpec("eth0", "LAN")), Instant.EPOCH);

  private static VirtualMachine original(int generation, SecureBoot secureBoot) {
    VirtualMachine.Builder vm = VirtualMachine.newBuilder().setId("vm-1").setName("app-01")
        .setGeneration(generation);
    if (secureBoot != null) {
      vm.setSecureBoot(secureBoot);
    }
    return vm.build();
  }

  @Test
  void aGeneration2OriginalsSettingGoesIntoTheCreateVm() {
    CreateVm on = NewVmShape.of(ITEM, Optional.of(original(2, UEFI_CA)), CLOUD).build();
    assertEquals(2, on.getGeneration());
    assertEquals(UEFI_CA, on.getSecureBoot());
    assertTrue(NewVmShape.describeSecureBoot(on).contains("Secure Boot On (template"
        + " MicrosoftUEFICertificateAuthority) as the original's"),
        NewVmShape.describeSecureBoot(on));

    CreateVm off = NewVmShape.of(ITEM, Optional.of(original(2, OFF)), CLOUD).build();
    assertEquals(OFF, off.getSecureBoot());
    assertTrue(off.hasSecureBoot(), "Off is a setting, sent as one");
    assertTrue(NewVmShape.describeSecureBoot(off).contains("Secure Boot Off"));
  }

  @Test
  void withTheOriginalGoneTheSettingRecordedWhenProtectionBeganApplies() {
    ProtectedItem recorded = ITEM.toBuilder().setOnPremVmGeneration(2)
        .setOnPremSecureBoot(OFF).build();
    assertEquals(OFF, NewVmShape.of(recorded, Optional.empty(), CLOUD).getSecureBoot());
    // What the host reports now wins over the record: it may have been changed since.
    assertEquals(UEFI_CA, NewVmShape.of(recorded, Optional.of(original(2, UEFI_CA)), CLOUD)
        .getSecureBoot());
    assertEquals(OFF, NewVmShape.of(recorded, Optional.of(original(2, null)), CLOUD)
        .getSecureBoot(), "an agent that stopped reporting it");
  }

  @Test
  void anUnknownSettingIsLeftToHyperVAndSaidPlainly() {
    CreateVm unknown = NewVmShape.of(ITEM, Optional.of(original(2, null)), CLOUD).build();
    assertFalse(unknown.hasSecureBoot());
    assertTrue(NewVmShape.describeSecureBoot(unknown).contains("Secure Boot not known"),
        NewVmShape.describeSecureBoot(unknown));
    assertFalse(NewVmShape.of(ITEM, Optional.empty(), CLOUD).hasSecureBoot(),
        "nothing reported, nothing recorded");
  }

  @Test
  void aGeneration1VmSendsNone() {
    ProtectedItem recorded = ITEM.toBuilder().setOnPremVmGeneration(1)
        .setOnPremSecureBoot(UEFI_CA).build();
    CreateVm gen1 = NewVmShape.of(recorded, Optional.of(original(1, UEFI_CA)), CLOUD).build();
    assertEquals(1, gen1.getGeneration());
    assertFalse(gen1.hasSecureBoot(), "a generation 1 VM has no UEFI firmware");
    assertEquals("", NewVmShape.describeSecureBoot(gen1));
    assertFalse(NewVmShape.of(recorded, Optional.empty(), CLOUD).hasSecureBoot());
  }
}
