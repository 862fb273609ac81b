package io.failback.agent.hyperv.powershell;

import static io.failback.agent.hyperv.powershell.PsJson.enumName;
import static io.failback.agent.hyperv.powershell.PsJson.number;
import static io.failback.agent.hyperv.powershell.PsJson.objects;
import static io.failback.agent.hyperv.powershell.PsJson.required;
import static io.failback.agent.hyperv.powershell.PsJson.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.failback.agent.hyperv.HyperVStates;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.NetworkAdapter;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.StoragePath;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.failback.proto.v1.VirtualSwitch;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Maps the JSON of {@code inventory.ps1} to a {@link HostInventory}. */
final class HyperVInventory {
  private HyperVInventory() {}

  static HostInventory map(JsonElement json) throws IOException {
    return map(json, Map.of());
  }

  /**
   * Like {@link #map(JsonElement)}, showing the VMs with an open read point (by lower-case id)
   * with the disks the read point froze, not the differencing files the guest writes meanwhile:
   * a VM's disks keep their paths while it is being read.
   */
  static HostInventory map(JsonElement json, Map<String, HyperVReadPoint> readPoints)
      throws IOException {
    if (!json.isJsonObject()) {
      throw new IOException("PowerShell reported the host as " + json + ", expected an object");
    }
    JsonObject host = json.getAsJsonObject();
    String hostName = required(host, "hostName", "the host");
    HostInventory.Builder inventory = HostInventory.newBuilder()
        .setHostName(hostName)
        .setHypervisorKind(HypervisorKind.HYPER_V)
        .setHypervisorVersion(text(host, "version"))
        .setDefaultVmPath(text(host, "vmPath"));
    for (JsonObject s : objects(host, "switches")) {
      inventory.addVirtualSwitches(VirtualSwitch.newBuilder()
          .setName(required(s, "name", "a virtual switch"))
          .setId(text(s, "id").toLowerCase(Locale.ROOT))
          .setSwitchType(enumName(s, "type", HyperVEnums.SWITCH_TYPE)));
    }
    for (JsonObject path : objects(host, "storagePaths")) {
      inventory.addStoragePaths(StoragePath.newBuilder()
          .setPath(required(path, "path", "a storage path"))
          .setFreeBytes(number(path, "freeBytes"))
          .setTotalBytes(number(path, "totalBytes")));
    }
    List<VirtualMachine> vms = new java.util.ArrayList<>();
    for (JsonObject vm : objects(host, "vms")) {
      vms.add(vm(vm, hostName, readPoints));
    }
    // The same order as the simulated host: by name, then id.
    vms.sort(Comparator.comparing(VirtualMachine::getName).thenComparing(VirtualMachine::getId));
    return inventory.addAllVirtualMachines(vms).build();
  }

  private static VirtualMachine vm(JsonObject vm, String hostName,
      Map<String, HyperVReadPoint> readPoints) throws IOException {
    String state = enumName(vm, "state", HyperVEnums.VM_STATE);
    HyperVReadPoint readPoint = readPoints.get(text(vm, "id").toLowerCase(Locale.ROOT));
    VirtualMachine.Builder builder = VirtualMachine.newBuilder()
        .setId(required(vm, "id", "a VM").toLowerCase(Locale.ROOT))
        .setName(required(vm, "name", "a VM"))
        .setGeneration((int) number(vm, "generation"))
        .setMemoryBytes(number(vm, "memoryBytes"))
        .setProcessorCount((int) number(vm, "processorCount"))
        .setGuestOs(text(vm, "guestOs"))
        .setPowerState(HyperVStates.powerState(state))
        .setStateDetail(state)
        .setHostName(hostName);
    secureBoot(vm).ifPresent(builder::setSecureBoot);
    for (JsonObject disk : objects(vm, "disks")) {
      builder.addDisks(disk(readPoint == null ? disk : readPoint.frozen(disk)));
    }
    for (JsonObject nic : objects(vm, "networkAdapters")) {
      builder.addNetworkAdapters(NetworkAdapter.newBuilder()
          .setName(text(nic, "name"))
          .setSwitchName(text(nic, "switchName"))
          .setMacAddress(text(nic, "macAddress").toUpperCase(Locale.ROOT)));
    }
    return builder.build();
  }

  /**
   * The VM's Secure Boot setting; empty for a generation 1 VM, from a script that did not read
   * it (an older agent) or a firmware it could not read: unknown, never taken for Off.
   */
  static Optional<SecureBoot> secureBoot(JsonObject vm) {
    String state = enumName(vm, "secureBoot", HyperVEnums.ON_OFF_STATE);
    if (!state.equalsIgnoreCase("On") && !state.equalsIgnoreCase("Off")) {
      return Optional.empty();
    }
    return Optional.of(SecureBoot.newBuilder().setEnabled(state.equalsIgnoreCase("On"))
        .setTemplateName(text(vm, "secureBootTemplate")).build());
  }

  private static VirtualDisk disk(JsonObject disk) throws IOException {
    String format = enumName(disk, "format", HyperVEnums.VHD_FORMAT);
    return VirtualDisk.newBuilder()
        .setPath(required(disk, "path", "a disk"))
        // VHD (the old format) and VHD Sets stay unspecified: the agent cannot open them.
        .setFormat(format.equalsIgnoreCase("VHDX") ? DiskFormat.VHDX
            : DiskFormat.DISK_FORMAT_UNSPECIFIED)
        .setType(diskType(disk))
        .setVirtualSizeBytes(number(disk, "size"))
        .setLogicalSectorSize((int) number(disk, "logicalSectorSize"))
        .setPhysicalSectorSize((int) number(disk, "physicalSectorSize"))
        .setBlockSizeBytes((int) number(disk, "blockSize"))
        .setFileSizeBytes(number(disk, "fileSize"))
        .build();
  }

  /** The disk's type; any disk with a parent is differencing, whatever else it claims. */
  static DiskType diskType(JsonObject disk) {
    if (!text(disk, "parentPath").isEmpty()) {
      return DiskType.DIFFERENCING;
    }
    return switch (enumName(disk, "type", HyperVEnums.VHD_TYPE).toLowerCase(Locale.ROOT)) {
      case "fixed" -> DiskType.FIXED;
      case "dynamic" -> DiskType.DYNAMIC;
      case "differencing" -> DiskType.DIFFERENCING;
      default -> DiskType.DISK_TYPE_UNSPECIFIED;
    };
  }
}
