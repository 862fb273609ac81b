package io.failback.agent.hyperv.simulated;

import io.failback.agent.hyperv.NewVm;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.AdapterEntry;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.SecureBootEntry;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.VmFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Creates a VM on a simulated host the way the PowerShell driver's New-VM script does, its
 * Secure Boot setting included (recorded and reported; a QEMU boot does not enforce it).
 */
final class SimulatedVmCreator {
  private SimulatedVmCreator() {}

  /**
   * Lays out {@code vms/<id>/} with new dynamic VHDX disks and writes {@code vm.json} last, so
   * the VM is invisible until complete; on failure the folder is removed.
   *
   * @return the new VM's id
   */
  static String create(Path vmsDir, Set<String> switchNames, NewVm spec) throws IOException {
    for (String name : spec.switchNames()) {
      if (!switchNames.contains(name)) {
        throw new IOException("virtual switch '" + name + "' does not exist on this host");
      }
    }
    String id = UUID.randomUUID().toString();
    // Named by id: a VM name may hold characters a file name cannot, and names may repeat.
    Path folder = Files.createDirectory(vmsDir.resolve(id));
    try {
      List<String> disks = new ArrayList<>();
      for (int i = 0; i < spec.diskSizes().size(); i++) {
        String fileName = id + "-disk" + i + ".vhdx";
        SimulatedHostSeeder.createDynamicVhdx(folder.resolve(fileName), spec.diskSizes().get(i));
        disks.add(fileName);
      }
      List<AdapterEntry> adapters = new ArrayList<>();
      for (int i = 0; i < spec.switchNames().size(); i++) {
        adapters.add(new AdapterEntry(SimulatedHostSeeder.adapterName(i),
            spec.switchNames().get(i), SimulatedHostSeeder.randomHyperVMac()));
      }
      SimulatedHostJson.write(folder.resolve(SimulatedHostJson.VM_FILE), new VmFile(id,
          spec.name(), spec.generation(), "Off", disks, adapters, spec.memoryBytes(),
          spec.processorCount(), null, // a new VM's guest says nothing before it runs
          spec.secureBoot() == null ? null : new SecureBootEntry(spec.secureBoot().enabled(),
              spec.secureBoot().templateName())));
      return id;
    } catch (IOException | RuntimeException e) {
      deleteTree(folder);
      throw e;
    }
  }

  private static void deleteTree(Path folder) {
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      // The VM stays invisible without vm.json; what is left is only wasted space.
    }
  }
}
