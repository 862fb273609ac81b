package io.failback.agent.hyperv.simulated;

import static io.failback.agent.hyperv.simulated.SimulatedHostJson.check;
import static io.failback.agent.hyperv.simulated.SimulatedHostJson.isBlank;
import static io.failback.agent.hyperv.simulated.SimulatedHostJson.orEmpty;

import io.failback.agent.hyperv.NewVm;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.AdapterEntry;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.VmFile;
import io.failback.proto.v1.NetworkAdapter;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** Reads the VM folders of a simulated host into {@link VirtualMachine} messages. */
final class SimulatedVms {
  private SimulatedVms() {}

  /**
   * Every VM under {@code vmsDir}, sorted by name then id.
   *
   * <p>A folder without {@code vm.json} is not a VM: a VM being created stays invisible until its
   * definition is written, last.
   */
  static List<VirtualMachine> read(Path vmsDir, String hostName, Set<String> switchNames,
      VmPower power) throws IOException {
    if (!Files.isDirectory(vmsDir)) {
      throw new NoSuchFileException(vmsDir.toString(), null, "VM folder not found");
    }
    List<Path> vmFiles;
    try (Stream<Path> folders = Files.list(vmsDir)) {
      vmFiles =
          folders
              .filter(Files::isDirectory)
              .map(folder -> folder.resolve(SimulatedHostJson.VM_FILE))
              .filter(Files::exists)
              .sorted()
              .toList();
    }
    Map<String, Path> idToFile = new HashMap<>();
    List<VirtualMachine> vms = new ArrayList<>();
    for (Path vmFile : vmFiles) {
      VirtualMachine vm = readVm(vmFile, hostName, switchNames, power);
      Path previous = idToFile.putIfAbsent(vm.getId(), vmFile);
      check(previous == null, vmFile, "VM id %s is already used by %s", vm.getId(), previous);
      vms.add(vm);
    }
    vms.sort(Comparator.comparing(VirtualMachine::getName).thenComparing(VirtualMachine::getId));
    return vms;
  }

  /** The definition file of the VM with id {@code vmId}. */
  static Path fileOf(Path vmsDir, String vmId) throws IOException {
    try (Stream<Path> folders = Files.list(vmsDir)) {
      for (Path vmFile : folders.map(f -> f.resolve(SimulatedHostJson.VM_FILE))
          .filter(Files::exists).toList()) {
        VmFile vm = SimulatedHostJson.read(vmFile, VmFile.class);
        if (vm.id() != null && vm.id().equalsIgnoreCase(vmId)) {
          return vmFile;
        }
      }
    }
    throw new NoSuchFileException(vmsDir.toString(), null, "no VM with id " + vmId);
  }

  private static VirtualMachine readVm(Path vmFile, String hostName, Set<String> switchNames,
      VmPower power) throws IOException {
    VmFile vm = SimulatedHostJson.read(vmFile, VmFile.class);
    check(SimulatedHostJson.isGuid(vm.id()), vmFile, "id '%s' is not a GUID", vm.id());
    check(!isBlank(vm.name()), vmFile, "name is missing");
    check(
        vm.generation() == 1 || vm.generation() == 2,
        vmFile,
        "generation must be 1 or 2, got %d",
        vm.generation());
    check(!isBlank(vm.state()), vmFile, "state is missing");
    ReportedState state = power.state(vmFile.getParent(), vm.state());
    VirtualMachine.Builder builder =
        VirtualMachine.newBuilder()
            .setId(vm.id().toLowerCase(Locale.ROOT))
            .setName(vm.name())
            .setGeneration(vm.generation())
            .setPowerState(state.power())
            .setStateDetail(state.detail())
            .setHostName(hostName);
    if (vm.memoryBytes() != null) {
      builder.setMemoryBytes(vm.memoryBytes());
    }
    if (vm.processorCount() != null) {
      builder.setProcessorCount(vm.processorCount());
    }
    if (vm.guestOs() != null) {
      builder.setGuestOs(vm.guestOs());
    }
    if (vm.secureBoot() != null) {
      builder.setSecureBoot(secureBoot(vmFile, vm));
    }
    for (String disk : orEmpty(vm.disks())) {
      check(!isBlank(disk), vmFile, "a disk entry is empty");
      builder.addDisks(DiskDescriber.describe(vmFile, vmFile.resolveSibling(disk).normalize()));
    }
    for (AdapterEntry adapter : orEmpty(vm.networkAdapters())) {
      builder.addNetworkAdapters(adapter(vmFile, adapter, switchNames));
    }
    return builder.build();
  }

  /** Checked as the agent checks a CreateVm's setting: what it reports, it could create. */
  private static SecureBoot secureBoot(Path vmFile, VmFile vm) throws IOException {
    check(vm.generation() == 2, vmFile, "secureBoot is set, but a generation 1 VM has none");
    String template = vm.secureBoot().templateName();
    try {
      return new NewVm.SecureBoot(vm.secureBoot().enabled(), template == null ? "" : template)
          .toProto();
    } catch (IllegalArgumentException e) {
      throw SimulatedHostJson.invalid(vmFile, "%s", e.getMessage());
    }
  }

  private static NetworkAdapter adapter(Path vmFile, AdapterEntry adapter, Set<String> switches)
      throws IOException {
    check(adapter != null && !isBlank(adapter.name()), vmFile, "a network adapter has no name");
    String switchName = adapter.switchName() == null ? "" : adapter.switchName();
    check(
        switchName.isEmpty() || switches.contains(switchName),
        vmFile,
        "network adapter '%s' is connected to switch '%s', which host.json does not define",
        adapter.name(),
        switchName);
    check(
        SimulatedHostJson.isMacAddress(adapter.macAddress()),
        vmFile,
        "network adapter '%s' has MAC address '%s', expected 12 hex digits",
        adapter.name(),
        adapter.macAddress());
    return NetworkAdapter.newBuilder()
        .setName(adapter.name())
        .setSwitchName(switchName)
        .setMacAddress(adapter.macAddress().toUpperCase(Locale.ROOT))
        .build();
  }
}
