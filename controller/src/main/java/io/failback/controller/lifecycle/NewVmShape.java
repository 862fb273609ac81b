package io.failback.controller.lifecycle;

import io.failback.controller.cloud.CloudVm;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualMachine;
import java.util.Optional;

/**
 * The VM a failback creates on a host (an alternate host, or the original host whose VM was
 * deleted): the item's name, the cloud VM's switches and disk sizes, and the original's
 * shape: from its definition if the host still has it, else as recorded when protection
 * began, else defaults.
 */
final class NewVmShape {
  static final long DEFAULT_MEMORY = 2L << 30;
  static final int DEFAULT_PROCESSORS = 2;
  static final int DEFAULT_GENERATION = 2;

  private NewVmShape() {}

  static CreateVm.Builder of(ProtectedItem item, Optional<VirtualMachine> original,
      CloudVm cloudVm) {
    int generation = item.getOnPremVmGeneration();
    long memory = item.getOnPremMemoryBytes();
    int cpus = item.getOnPremProcessorCount();
    CreateVm.Builder spec = CreateVm.newBuilder().setName(item.getVmName())
        .setGeneration(original.map(VirtualMachine::getGeneration).filter(g -> g > 0)
            .orElse(generation > 0 ? generation : DEFAULT_GENERATION))
        .setMemoryBytes(original.map(VirtualMachine::getMemoryBytes).filter(m -> m > 0)
            .orElse(memory > 0 ? memory : DEFAULT_MEMORY))
        .setProcessorCount(original.map(VirtualMachine::getProcessorCount).filter(c -> c > 0)
            .orElse(cpus > 0 ? cpus : DEFAULT_PROCESSORS));
    cloudVm.nics().forEach(nic -> spec.addSwitchNames(nic.switchName()));
    cloudVm.disks().forEach(disk -> spec.addDiskSizes(disk.virtualSize()));
    return spec;
  }
}
