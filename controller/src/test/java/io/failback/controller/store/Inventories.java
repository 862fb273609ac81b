package io.failback.controller.store;

import com.google.protobuf.Timestamp;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.EncryptionCertificate;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.NetworkAdapter;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.StoragePath;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.failback.proto.v1.VirtualSwitch;

/** Host inventories for tests, with every kind of field set. */
final class Inventories {

  private Inventories() {}

  /** An inventory of {@code hostName} with one VM per name. */
  static HostInventory inventory(String hostName, String... vmNames) {
    HostInventory.Builder inventory =
        HostInventory.newBuilder()
            .setHostName(hostName)
            .setHypervisorKind(HypervisorKind.HYPER_V)
            .setHypervisorVersion("10.0.20348")
            .setAgentVersion("0.1.0")
            .setDefaultVmPath("D:\\Hyper-V")
            .addVirtualSwitches(
                VirtualSwitch.newBuilder().setName("LAN").setId("sw-1").setSwitchType("External"))
            .addStoragePaths(
                StoragePath.newBuilder()
                    .setPath("D:\\Hyper-V")
                    .setFreeBytes(512L << 30)
                    .setTotalBytes(2L << 40))
            .addEncryptionCertificates(
                EncryptionCertificate.newBuilder()
                    .setThumbprint("0123456789abcdef0123456789abcdef01234567")
                    .setSubject("CN=" + hostName)
                    .setNotAfter(Timestamp.newBuilder().setSeconds(1_900_000_000L).setNanos(5)));
    for (int i = 0; i < vmNames.length; i++) {
      inventory.addVirtualMachines(virtualMachine(hostName, vmNames[i], i));
    }
    return inventory.build();
  }

  private static VirtualMachine virtualMachine(String hostName, String name, int index) {
    return VirtualMachine.newBuilder()
        .setId(String.format("00000000-0000-0000-0000-%012d", index))
        .setName(name)
        .setGeneration(2)
        .setPowerState(PowerState.RUNNING)
        .setStateDetail("Running")
        .setHostName(hostName)
        .addDisks(
            VirtualDisk.newBuilder()
                .setPath("D:\\Hyper-V\\" + name + "\\disk0.vhdx")
                .setFormat(DiskFormat.VHDX)
                .setType(DiskType.DYNAMIC)
                .setVirtualSizeBytes(127L << 30)
                .setLogicalSectorSize(512)
                .setPhysicalSectorSize(4096)
                .setBlockSizeBytes(32 << 20))
        .addNetworkAdapters(
            NetworkAdapter.newBuilder()
                .setName("Network Adapter")
                .setSwitchName("LAN")
                .setMacAddress("00155D0000" + String.format("%02X", index)))
        .build();
  }
}
