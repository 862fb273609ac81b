package io.failback.controller.agents.boundary;

import com.google.common.hash.Hashing;
import io.failback.common.ids.VmId;
import io.failback.common.text.BoundedText;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.EncryptionCertificate;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.NetworkAdapter;
import io.failback.proto.v1.StoragePath;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.failback.proto.v1.VirtualSwitch;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one check of an inventory an agent reports (at registration and in command results),
 * before any of it is stored or used: every string bounded and free of control characters,
 * VM ids in Hyper-V's GUID form and unique, every enum known, sizes and counts in range.
 */
public final class InventoryValidator {
  private static final Pattern MAC = Pattern.compile("[0-9A-Fa-f]{2}([:-]?[0-9A-Fa-f]{2}){5}");
  private static final Pattern THUMBPRINT = Pattern.compile("[0-9a-f]{40}");
  private static final Pattern TEMPLATE_NAME = Pattern.compile("[A-Za-z0-9._-]*");

  private InventoryValidator() {}

  /** Refuses {@code inventory} unless it is well-formed and names {@code host} as its host. */
  public static void check(HostInventory inventory, String host) throws AgentInputException {
    Problems problems = new Problems();
    int bytes = inventory.getSerializedSize();
    if (bytes > AgentLimits.MAX_INVENTORY_BYTES) {
      problems.tooLarge("inventory", "is " + bytes + " bytes; at most "
          + AgentLimits.MAX_INVENTORY_BYTES + " are allowed per host");
      problems.throwIfAny("inventory of host " + host);
    }
    if (!inventory.getHostName().equalsIgnoreCase(host)) {
      problems.add("inventory.host_name", BoundedText.quote(inventory.getHostName())
          + " is not the host's name " + host);
    }
    Fields.knownEnum(problems, "inventory.hypervisor_kind",
        inventory.getHypervisorKind() != HypervisorKind.UNRECOGNIZED
            && inventory.getHypervisorKind() != HypervisorKind.HYPERVISOR_KIND_UNSPECIFIED,
        inventory.getHypervisorKindValue());
    Fields.text(problems, "inventory.hypervisor_version", inventory.getHypervisorVersion(), 0,
        AgentLimits.MAX_SHORT_TEXT_CHARS);
    Fields.text(problems, "inventory.agent_version", inventory.getAgentVersion(), 0,
        AgentLimits.MAX_SHORT_TEXT_CHARS);
    Fields.text(problems, "inventory.default_vm_path", inventory.getDefaultVmPath(), 0,
        AgentLimits.MAX_PATH_CHARS);
    checkVms(problems, inventory, host);
    Fields.count(problems, "inventory.virtual_switches", inventory.getVirtualSwitchesCount(),
        AgentLimits.MAX_SWITCHES);
    for (int i = 0; i < inventory.getVirtualSwitchesCount(); i++) {
      checkSwitch(problems, "inventory.virtual_switches[" + i + "]",
          inventory.getVirtualSwitches(i));
    }
    Fields.count(problems, "inventory.storage_paths", inventory.getStoragePathsCount(),
        AgentLimits.MAX_STORAGE_PATHS);
    for (int i = 0; i < inventory.getStoragePathsCount(); i++) {
      StoragePath path = inventory.getStoragePaths(i);
      String field = "inventory.storage_paths[" + i + "]";
      Fields.text(problems, field + ".path", path.getPath(), 1, AgentLimits.MAX_PATH_CHARS);
      // uint64 on the wire, read as long (Preflight, UndoSpace): above 2^63 - 1 is negative.
      Fields.atMost(problems, field + ".free_bytes", path.getFreeBytes(), Long.MAX_VALUE);
      Fields.atMost(problems, field + ".total_bytes", path.getTotalBytes(), Long.MAX_VALUE);
    }
    Fields.count(problems, "inventory.encryption_certificates",
        inventory.getEncryptionCertificatesCount(), AgentLimits.MAX_ENCRYPTION_CERTIFICATES);
    for (int i = 0; i < inventory.getEncryptionCertificatesCount(); i++) {
      checkCertificate(problems, "inventory.encryption_certificates[" + i + "]",
          inventory.getEncryptionCertificates(i));
    }
    problems.throwIfAny("inventory of host " + host);
  }

  private static void checkVms(Problems problems, HostInventory inventory, String host) {
    Fields.count(problems, "inventory.virtual_machines", inventory.getVirtualMachinesCount(),
        AgentLimits.MAX_VMS);
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < inventory.getVirtualMachinesCount(); i++) {
      VirtualMachine vm = inventory.getVirtualMachines(i);
      String field = "inventory.virtual_machines[" + i + "]";
      if (!VmId.isValid(vm.getId())) {
        problems.add(field + ".id", VmId.problem(vm.getId()));
      } else if (!ids.add(vm.getId().toLowerCase(Locale.ROOT))) {
        problems.add(field + ".id", vm.getId() + " is reported twice");
      }
      checkVm(problems, field, vm, host);
    }
  }

  private static void checkVm(Problems problems, String field, VirtualMachine vm, String host) {
    Fields.text(problems, field + ".name", vm.getName(), 1, AgentLimits.MAX_NAME_CHARS);
    Fields.atMost(problems, field + ".generation", vm.getGeneration(), 2);
    Fields.knownEnum(problems, field + ".power_state",
        vm.getPowerState() != io.failback.proto.v1.PowerState.UNRECOGNIZED,
        vm.getPowerStateValue());
    Fields.text(problems, field + ".state_detail", vm.getStateDetail(), 0,
        AgentLimits.MAX_SHORT_TEXT_CHARS);
    Fields.text(problems, field + ".inconsistent_reason", vm.getInconsistentReason(), 0,
        AgentLimits.MAX_TEXT_CHARS);
    Fields.text(problems, field + ".guest_os", vm.getGuestOs(), 0,
        AgentLimits.MAX_SHORT_TEXT_CHARS);
    if (!vm.getHostName().isEmpty() && !vm.getHostName().equalsIgnoreCase(host)) {
      problems.add(field + ".host_name", BoundedText.quote(vm.getHostName())
          + " is not the reporting host " + host);
    }
    Fields.atMost(problems, field + ".memory_bytes", vm.getMemoryBytes(),
        AgentLimits.MAX_MEMORY_BYTES);
    Fields.atMost(problems, field + ".processor_count", vm.getProcessorCount(),
        AgentLimits.MAX_PROCESSORS);
    if (vm.hasSecureBoot()) {
      checkSecureBoot(problems, field + ".secure_boot", vm);
    }
    Fields.count(problems, field + ".disks", vm.getDisksCount(), AgentLimits.MAX_DISKS_PER_VM);
    for (int d = 0; d < vm.getDisksCount(); d++) {
      checkDisk(problems, field + ".disks[" + d + "]", vm.getDisks(d));
    }
    Fields.count(problems, field + ".network_adapters", vm.getNetworkAdaptersCount(),
        AgentLimits.MAX_ADAPTERS_PER_VM);
    for (int n = 0; n < vm.getNetworkAdaptersCount(); n++) {
      checkAdapter(problems, field + ".network_adapters[" + n + "]", vm.getNetworkAdapters(n));
    }
  }

  /** The setting goes back to an agent in a CreateVm, to a script's parameter. */
  private static void checkSecureBoot(Problems problems, String field, VirtualMachine vm) {
    if (vm.getGeneration() != 2) {
      problems.add(field, "is set on a generation " + vm.getGeneration() + " VM, which has"
          + " no UEFI firmware");
    }
    String template = vm.getSecureBoot().getTemplateName();
    if (template.length() > AgentLimits.MAX_SECURE_BOOT_TEMPLATE_CHARS) {
      Fields.text(problems, field + ".template_name", template, 0,
          AgentLimits.MAX_SECURE_BOOT_TEMPLATE_CHARS);
    } else if (!TEMPLATE_NAME.matcher(template).matches()) {
      problems.add(field + ".template_name", BoundedText.quote(template) + " holds characters"
          + " other than letters, digits, '.', '_' and '-'");
    }
  }

  private static void checkDisk(Problems problems, String field, VirtualDisk disk) {
    Fields.text(problems, field + ".path", disk.getPath(), 1, AgentLimits.MAX_PATH_CHARS);
    Fields.knownEnum(problems, field + ".format", disk.getFormat() != DiskFormat.UNRECOGNIZED,
        disk.getFormatValue());
    Fields.knownEnum(problems, field + ".type",
        disk.getType() != io.failback.proto.v1.DiskType.UNRECOGNIZED, disk.getTypeValue());
    Fields.atMost(problems, field + ".virtual_size_bytes", disk.getVirtualSizeBytes(),
        AgentLimits.MAX_DISK_BYTES);
    // uint64 read as long by UndoSpace; a file may outgrow its virtual size (metadata, logs).
    Fields.atMost(problems, field + ".file_size_bytes", disk.getFileSizeBytes(), Long.MAX_VALUE);
    checkSector(problems, field + ".logical_sector_size", disk.getLogicalSectorSize());
    checkSector(problems, field + ".physical_sector_size", disk.getPhysicalSectorSize());
    long block = Integer.toUnsignedLong(disk.getBlockSizeBytes());
    if (block != 0 && (!Fields.isPowerOfTwo(block) || block > (256 << 20))) {
      problems.add(field + ".block_size_bytes", block + " is not a power of two up to 256 MiB");
    }
    boolean readable = disk.getFormat() == DiskFormat.VHDX || disk.getFormat() == DiskFormat.RAW;
    long sector = disk.getLogicalSectorSize() == 0 ? 512 : disk.getLogicalSectorSize();
    if (readable && (disk.getVirtualSizeBytes() == 0
        || Long.remainderUnsigned(disk.getVirtualSizeBytes(), sector) != 0)) {
      problems.add(field + ".virtual_size_bytes", Long.toUnsignedString(
          disk.getVirtualSizeBytes()) + " is not a positive multiple of the sector size "
          + sector);
    }
  }

  private static void checkSector(Problems problems, String field, int size) {
    if (size != 0 && size != 512 && size != 4096) {
      problems.add(field, Integer.toUnsignedString(size) + " is not 512 or 4096");
    }
  }

  private static void checkAdapter(Problems problems, String field, NetworkAdapter adapter) {
    Fields.text(problems, field + ".name", adapter.getName(), 0, AgentLimits.MAX_NAME_CHARS);
    Fields.text(problems, field + ".switch_name", adapter.getSwitchName(), 0,
        AgentLimits.MAX_NAME_CHARS);
    String mac = adapter.getMacAddress();
    if (!mac.isEmpty() && !MAC.matcher(mac).matches()) {
      problems.add(field + ".mac_address", BoundedText.quote(mac) + " is not a MAC address");
    }
  }

  private static void checkSwitch(Problems problems, String field, VirtualSwitch vswitch) {
    Fields.text(problems, field + ".name", vswitch.getName(), 1, AgentLimits.MAX_NAME_CHARS);
    Fields.text(problems, field + ".id", vswitch.getId(), 0, AgentLimits.MAX_SHORT_TEXT_CHARS);
    Fields.text(problems, field + ".switch_type", vswitch.getSwitchType(), 0,
        AgentLimits.MAX_SHORT_TEXT_CHARS);
  }

  private static void checkCertificate(Problems problems, String field,
      EncryptionCertificate certificate) {
    Fields.text(problems, field + ".subject", certificate.getSubject(), 0,
        AgentLimits.MAX_TEXT_CHARS);
    byte[] der = certificate.getCertificateDer().toByteArray();
    if (der.length > AgentLimits.MAX_CERTIFICATE_BYTES) {
      problems.tooLarge(field + ".certificate_der", "is " + der.length + " bytes; at most "
          + AgentLimits.MAX_CERTIFICATE_BYTES + " are allowed");
      return;
    }
    if (!THUMBPRINT.matcher(certificate.getThumbprint()).matches()) {
      problems.add(field + ".thumbprint", BoundedText.quote(certificate.getThumbprint())
          + " is not 40 lower-case hex digits");
    } else if (!certificate.getThumbprint().equals(sha1(der))) {
      problems.add(field + ".thumbprint", "is not the SHA-1 of certificate_der");
    }
    try {
      CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | RuntimeException e) {
      problems.add(field + ".certificate_der", "is not an X.509 certificate");
    }
  }

  @SuppressWarnings("deprecation") // SHA-1 is what Windows calls a thumbprint, not a security check
  private static String sha1(byte[] der) {
    return Hashing.sha1().hashBytes(der).toString();
  }
}
