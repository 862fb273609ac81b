package io.failback.agent.hyperv.simulated;

import static com.google.common.base.Preconditions.checkArgument;

import io.failback.agent.hyperv.simulated.SimulatedHostJson.AdapterEntry;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.HostFile;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.SwitchEntry;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.VmFile;
import io.failback.common.disk.BlockDevices;
import io.failback.common.disk.VhdxCreator;
import io.failback.proto.v1.DiskFormat;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Creates simulated Hyper-V host directories for demos and tests. Disks are sparse: a seeded host
 * takes a few hundred KiB on disk whatever the virtual sizes.
 */
public final class SimulatedHostSeeder {
  /** What seeded hosts report as their hypervisor version. */
  public static final String HYPERVISOR_VERSION = "10.0.20348 (simulated)";

  private static final long GIB = 1L << 30;
  private static final Pattern VM_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  /** A virtual switch; {@code type} is External, Internal or Private. */
  public record SwitchSpec(String name, String type) {
    public SwitchSpec {
      checkArgument(name != null && !name.isBlank(), "switch name is empty");
      checkArgument(
          SimulatedHostJson.SWITCH_TYPES.contains(type),
          "switch %s has type %s, expected one of %s",
          name,
          type,
          SimulatedHostJson.SWITCH_TYPES);
    }
  }

  /** A disk of {@code virtualSize} bytes (a positive multiple of 512), VHDX or RAW. */
  public record DiskSpec(DiskFormat format, long virtualSize) {
    public DiskSpec {
      checkArgument(
          format == DiskFormat.VHDX || format == DiskFormat.RAW,
          "disk format must be VHDX or RAW, got %s",
          format);
      checkArgument(
          virtualSize > 0 && virtualSize % 512 == 0,
          "disk size must be a positive multiple of 512, got %s",
          virtualSize);
    }
  }

  /**
   * A VM with a Hyper-V state word (Running, Off, Saved, ...), one network adapter per switch name,
   * and its disks; {@code name} also names its folder, so it is limited to letters, digits, '.',
   * '_' and '-'.
   */
  public record VmSpec(String name, String state, List<String> switchNames, List<DiskSpec> disks) {
    public VmSpec {
      checkArgument(
          name != null && VM_NAME.matcher(name).matches(),
          "VM name %s must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter"
              + " or digit",
          name);
      checkArgument(state != null && !state.isBlank(), "VM %s has no state", name);
      switchNames = List.copyOf(switchNames);
      disks = List.copyOf(disks);
    }
  }

  private SimulatedHostSeeder() {}

  /** The size of the demo host's web-01 disk. */
  public static final long DEMO_WEB_DISK_BYTES = GIB;

  /**
   * Seeds a host with two VMs: "web-01" (Running, a 1 GiB VHDX, on switch "LAN") and "db-01" (Off,
   * a 2 GiB VHDX and a 512 MiB raw disk, on "LAN" and "Backend"); LAN is External, Backend Private.
   */
  public static void demoHost(Path dir, String hostName) throws IOException {
    seed(
        dir,
        hostName,
        List.of(new SwitchSpec("LAN", "External"), new SwitchSpec("Backend", "Private")),
        List.of(
            new VmSpec("web-01", "Running", List.of("LAN"), List.of(vhdx(DEMO_WEB_DISK_BYTES))),
            new VmSpec(
                "db-01",
                "Off",
                List.of("LAN", "Backend"),
                List.of(vhdx(2 * GIB), new DiskSpec(DiskFormat.RAW, 512L << 20)))));
  }

  /** Seeds a host whose switches are those the VMs name, each of type Private. */
  public static void seed(Path dir, String hostName, List<VmSpec> vms) throws IOException {
    List<SwitchSpec> switches =
        vms.stream()
            .flatMap(vm -> vm.switchNames().stream())
            .distinct()
            .map(name -> new SwitchSpec(name, "Private"))
            .toList();
    seed(dir, hostName, switches, vms);
  }

  /**
   * Creates {@code dir} (which must not exist or be empty) as a simulated host.
   *
   * <p>{@code host.json} is written last, so a seeding that fails half-way never leaves something
   * that reads as a host.
   *
   * @throws IllegalArgumentException if a VM names an undefined switch, or names repeat
   * @throws FileAlreadyExistsException if {@code dir} exists and is not empty
   */
  public static void seed(Path dir, String hostName, List<SwitchSpec> switches, List<VmSpec> vms)
      throws IOException {
    checkArgument(hostName != null && !hostName.isBlank(), "host name is empty");
    checkSpecs(switches, vms);
    if (Files.isDirectory(dir)) {
      try (var entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          throw new FileAlreadyExistsException(
              dir.toString(), null, "not empty: refusing to seed a simulated host into it");
        }
      }
    }
    Path vmsDir = Files.createDirectories(dir.resolve(SimulatedHostJson.VMS_DIR));
    for (VmSpec vm : vms) {
      seedVm(Files.createDirectory(vmsDir.resolve(vm.name())), vm);
    }
    List<SwitchEntry> switchEntries = new ArrayList<>();
    for (SwitchSpec s : switches) {
      switchEntries.add(new SwitchEntry(s.name(), UUID.randomUUID().toString(), s.type()));
    }
    SimulatedHostJson.write(
        dir.resolve(SimulatedHostJson.HOST_FILE),
        new HostFile(
            hostName, HYPERVISOR_VERSION, switchEntries, List.of(SimulatedHostJson.VMS_DIR)));
  }

  /** Gives the seeded VM {@code vmName} of the host in {@code dir} this memory and CPU count. */
  public static void shape(Path dir, String vmName, long memoryBytes, int processorCount)
      throws IOException {
    Path vmFile = dir.resolve(SimulatedHostJson.VMS_DIR).resolve(vmName)
        .resolve(SimulatedHostJson.VM_FILE);
    SimulatedHostJson.replace(vmFile, SimulatedHostJson.read(vmFile, VmFile.class)
        .withShape(memoryBytes, processorCount));
  }

  /** Makes the seeded VM {@code vmName}'s guest report {@code guestOs} as its OS. */
  public static void guestOs(Path dir, String vmName, String guestOs) throws IOException {
    Path vmFile = dir.resolve(SimulatedHostJson.VMS_DIR).resolve(vmName)
        .resolve(SimulatedHostJson.VM_FILE);
    SimulatedHostJson.replace(vmFile, SimulatedHostJson.read(vmFile, VmFile.class)
        .withGuestOs(guestOs));
  }

  /** Gives the seeded VM {@code vmName} this Secure Boot setting, as Get-VMFirmware shows it. */
  public static void secureBoot(Path dir, String vmName, boolean enabled, String templateName)
      throws IOException {
    Path vmFile = dir.resolve(SimulatedHostJson.VMS_DIR).resolve(vmName)
        .resolve(SimulatedHostJson.VM_FILE);
    SimulatedHostJson.replace(vmFile, SimulatedHostJson.read(vmFile, VmFile.class)
        .withSecureBoot(new SimulatedHostJson.SecureBootEntry(enabled, templateName)));
  }

  private static void checkSpecs(List<SwitchSpec> switches, List<VmSpec> vms) {
    Set<String> switchNames = new HashSet<>();
    for (SwitchSpec s : switches) {
      checkArgument(switchNames.add(s.name()), "switch %s is listed twice", s.name());
    }
    Set<String> vmNames = new HashSet<>();
    for (VmSpec vm : vms) {
      // Folder names: Windows compares them ignoring case.
      checkArgument(
          vmNames.add(vm.name().toLowerCase(Locale.ROOT)), "VM name %s is used twice", vm.name());
      for (String name : vm.switchNames()) {
        checkArgument(
            switchNames.contains(name),
            "VM %s uses switch %s, which is not defined",
            vm.name(),
            name);
      }
    }
  }

  private static void seedVm(Path folder, VmSpec vm) throws IOException {
    List<String> diskNames = new ArrayList<>();
    for (int i = 0; i < vm.disks().size(); i++) {
      DiskSpec disk = vm.disks().get(i);
      String extension = disk.format() == DiskFormat.VHDX ? ".vhdx" : ".raw";
      String fileName = vm.name() + "-disk" + i + extension;
      createDisk(folder.resolve(fileName), disk);
      diskNames.add(fileName);
    }
    List<AdapterEntry> adapters = new ArrayList<>();
    for (int i = 0; i < vm.switchNames().size(); i++) {
      adapters.add(new AdapterEntry(adapterName(i), vm.switchNames().get(i), randomHyperVMac()));
    }
    VmFile definition =
        new VmFile(UUID.randomUUID().toString(), vm.name(), 2, vm.state(), diskNames, adapters,
            null, null, null, null);
    SimulatedHostJson.write(folder.resolve(SimulatedHostJson.VM_FILE), definition);
  }

  private static void createDisk(Path file, DiskSpec disk) throws IOException {
    if (disk.format() == DiskFormat.VHDX) {
      createDynamicVhdx(file, disk.virtualSize());
      return;
    }
    // One hole: the file takes no space.
    BlockDevices.createRawSparse(file, disk.virtualSize()).close();
  }

  /** A new, empty dynamic VHDX, as {@code New-VHD -Dynamic} would make it. */
  static void createDynamicVhdx(Path file, long virtualSize) throws IOException {
    // Hyper-V's default block size for real disks; 1 MiB keeps small test disks fine-grained.
    int blockSize = virtualSize >= GIB ? 32 << 20 : 1 << 20;
    VhdxCreator.createDynamic(file, virtualSize, blockSize, 512);
  }

  /** Hyper-V's name for the {@code index}th (from 0) network adapter of a VM. */
  static String adapterName(int index) {
    return index == 0 ? "Network Adapter" : "Network Adapter " + (index + 1);
  }

  /** A MAC address in Hyper-V's dynamic range (00-15-5D), written as Hyper-V shows it. */
  static String randomHyperVMac() {
    return String.format("00155D%06X", ThreadLocalRandom.current().nextInt(1 << 24));
  }

  private static DiskSpec vhdx(long size) {
    return new DiskSpec(DiskFormat.VHDX, size);
  }
}
