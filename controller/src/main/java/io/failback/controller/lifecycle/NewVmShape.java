package io.failback.controller.lifecycle;

import io.failback.controller.cloud.CloudVm;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.CreateVmOrBuilder;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.SecureBoot;
import io.failback.proto.v1.VirtualMachine;
import java.util.Optional;

/**
 * The VM a failback creates on a host (an alternate host, or the original host whose VM was
 * deleted): the item's name, the cloud VM's switches and disk sizes, and the original's
 * shape: from its definition if the host still has it, else as recorded when protection
 * began, else defaults. Secure Boot has no default: unknown, it is left to Hyper-V and said.
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
    if (spec.getGeneration() == 2) {
      secureBoot(item, original).ifPresent(spec::setSecureBoot);
    }
    cloudVm.nics().forEach(nic -> spec.addSwitchNames(nic.switchName()));
    cloudVm.disks().forEach(disk -> spec.addDiskSizes(disk.virtualSize()));
    return spec;
  }

  /**
   * The original's Secure Boot setting: the one its host reports now, else the one recorded
   * when protection began. Never a guess: a setting that does not trust the guest's loader
   * leaves the new VM unable to boot.
   */
  private static Optional<SecureBoot> secureBoot(ProtectedItem item,
      Optional<VirtualMachine> original) {
    Optional<SecureBoot> reported = original.filter(vm -> vm.getGeneration() == 2)
        .filter(VirtualMachine::hasSecureBoot).map(VirtualMachine::getSecureBoot);
    if (reported.isPresent()) {
      return reported;
    }
    return item.hasOnPremSecureBoot() ? Optional.of(item.getOnPremSecureBoot())
        : Optional.empty();
  }

  /** What the new VM's firmware gets, for the job's timeline; empty for generation 1. */
  static String describeSecureBoot(CreateVmOrBuilder spec) {
    if (spec.getGeneration() != 2) {
      return "";
    }
    if (!spec.hasSecureBoot()) {
      return "; Secure Boot not known (its host never reported the original's): the new VM"
          + " has Hyper-V's default, On with template MicrosoftWindows, which starts no guest"
          + " loader that template does not trust (a Linux shim needs"
          + " MicrosoftUEFICertificateAuthority, set with Set-VMFirmware)";
    }
    SecureBoot setting = spec.getSecureBoot();
    String template = setting.getTemplateName().isEmpty() ? "the host's default template"
        : "template " + setting.getTemplateName();
    return "; Secure Boot " + (setting.getEnabled() ? "On" : "Off") + " (" + template
        + ") as the original's";
  }
}
