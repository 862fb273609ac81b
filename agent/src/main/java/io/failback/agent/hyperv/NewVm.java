package io.failback.agent.hyperv;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A VM to create on this host, as failback to an alternate host needs it: one network adapter
 * per entry of {@code switchNames} (connected to that switch) and one new, empty dynamic VHDX per
 * entry of {@code diskSizes}, in that order.
 *
 * @param name the VM's name; Hyper-V also names the VM's folder after it, so characters that a
 *     Windows file name cannot hold are refused
 * @param generation 1 or 2
 * @param memoryBytes startup memory, a positive multiple of 2 MiB (Hyper-V's granularity)
 * @param processorCount virtual processors, at least 1
 * @param secureBoot generation 2 only: the Secure Boot setting to give the VM; null leaves
 *     Hyper-V's default for a new VM (On, MicrosoftWindows), as nothing is known to carry
 */
public record NewVm(String name, int generation, long memoryBytes, int processorCount,
    List<String> switchNames, List<Long> diskSizes, SecureBoot secureBoot) {
  private static final long MEMORY_UNIT = 2L << 20;
  private static final Pattern NOT_IN_FILE_NAMES = Pattern.compile("[<>:\"/\\\\|?*\\x00-\\x1f]");

  /** A VM whose Secure Boot setting is not known (see {@code secureBoot}). */
  public NewVm(String name, int generation, long memoryBytes, int processorCount,
      List<String> switchNames, List<Long> diskSizes) {
    this(name, generation, memoryBytes, processorCount, switchNames, diskSizes, null);
  }

  /**
   * A generation 2 VM's UEFI Secure Boot setting, as {@code Set-VMFirmware -EnableSecureBoot
   * -SecureBootTemplate} takes it.
   *
   * @param templateName Hyper-V's template name; empty keeps the new VM's template
   */
  public record SecureBoot(boolean enabled, String templateName) {
    /** The bound the controller's InventoryValidator puts on what an agent reports. */
    private static final Pattern TEMPLATE = Pattern.compile("[A-Za-z0-9._-]{0,64}");

    public SecureBoot {
      checkArgument(templateName != null && TEMPLATE.matcher(templateName).matches(),
          "Secure Boot template '%s' must be at most 64 letters, digits, '.', '_' or '-'",
          templateName);
    }

    public static SecureBoot of(io.failback.proto.v1.SecureBoot setting) {
      return new SecureBoot(setting.getEnabled(), setting.getTemplateName());
    }

    public io.failback.proto.v1.SecureBoot toProto() {
      return io.failback.proto.v1.SecureBoot.newBuilder().setEnabled(enabled)
          .setTemplateName(templateName).build();
    }
  }

  /** The VM a controller's CreateVm asks for; bad values throw IllegalArgumentException. */
  public static NewVm of(io.failback.proto.v1.CreateVm create) {
    return new NewVm(create.getName(), create.getGeneration(), create.getMemoryBytes(),
        create.getProcessorCount(), create.getSwitchNamesList(), create.getDiskSizesList(),
        create.hasSecureBoot() ? SecureBoot.of(create.getSecureBoot()) : null);
  }

  public NewVm {
    checkArgument(name != null && !name.isBlank() && name.strip().equals(name)
        && name.length() <= 100, "VM name '%s' must be 1 to 100 characters without leading or"
        + " trailing spaces", name);
    checkArgument(!NOT_IN_FILE_NAMES.matcher(name).find(),
        "VM name '%s' holds a character Windows does not allow in a folder name (< > : \" / \\"
        + " | ? * or a control character)", name);
    checkArgument(generation == 1 || generation == 2, "generation must be 1 or 2, got %s",
        generation);
    // A generation 1 VM boots from BIOS: Set-VMFirmware refuses it.
    checkArgument(secureBoot == null || generation == 2,
        "a generation 1 VM has no Secure Boot setting");
    checkArgument(memoryBytes > 0 && memoryBytes % MEMORY_UNIT == 0,
        "memory must be a positive multiple of 2 MiB, got %s bytes", memoryBytes);
    checkArgument(processorCount >= 1, "processor count must be at least 1, got %s",
        processorCount);
    switchNames = List.copyOf(switchNames);
    for (String switchName : switchNames) {
      checkArgument(!switchName.isBlank(), "a network adapter names an empty switch");
    }
    diskSizes = List.copyOf(diskSizes);
    for (long size : diskSizes) {
      // VHDX sizes are whole sectors; 4096 suits both 512- and 4096-byte logical sectors.
      checkArgument(size > 0 && size % 4096 == 0,
          "disk size must be a positive multiple of 4096 bytes, got %s", size);
    }
  }
}
