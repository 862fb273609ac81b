package io.failback.agent.hyperv.simulated;

import static io.failback.agent.hyperv.simulated.SimulatedHostJson.check;
import static io.failback.agent.hyperv.simulated.SimulatedHostJson.isBlank;
import static io.failback.agent.hyperv.simulated.SimulatedHostJson.orEmpty;

import io.failback.agent.hyperv.ChangeTracking;
import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.hyperv.NewVm;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.HostFile;
import io.failback.agent.hyperv.simulated.SimulatedHostJson.SwitchEntry;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.HypervisorKind;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.StoragePath;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.failback.proto.v1.VirtualSwitch;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A directory that stands in for a Hyper-V host: {@code host.json} plus one folder per VM under
 * {@code vms/}, with real disk image files. The layout is described in {@code
 * agent/SIMULATED-HOST.md}.
 *
 * <p>Every call to {@link #inventory()} reads the directory afresh, so edits show up at the next
 * call. Safe for concurrent use: the class holds no mutable state of the host. With a {@link
 * SimulatedBoot} its VMs run for real, each under a QEMU recorded in the VM's folder, so that
 * another instance (a restarted agent) finds and stops them.
 */
public final class SimulatedHypervisor implements HypervisorDriver {
  /** The longest making a simulated read point (copying the disks) is taken to last. */
  private static final java.time.Duration MAKING_READ_POINT = java.time.Duration.ofMinutes(10);
  private final Path hostDir;
  /** Null when the VMs run only as a state word. */
  private final SimulatedBoot boot;
  private final VmPower power;

  /** A driver for the simulated host in {@code hostDir}, whose VMs run only as a state word. */
  public SimulatedHypervisor(Path hostDir) {
    this(hostDir, null, VmPower.RECORDED);
  }

  /** A driver for the simulated host in {@code hostDir} that boots its VMs as {@code boot} says. */
  public SimulatedHypervisor(Path hostDir, SimulatedBoot boot) {
    this(hostDir, boot, new QemuPower(boot));
  }

  private SimulatedHypervisor(Path hostDir, SimulatedBoot boot, VmPower power) {
    this.hostDir = hostDir.toAbsolutePath().normalize();
    this.boot = boot;
    this.power = power;
  }

  /** How this driver boots the host's VMs under QEMU; empty when they run as a state word. */
  public Optional<SimulatedBoot> boot() {
    return Optional.ofNullable(boot);
  }

  /** The host directory, absolute. */
  public Path hostDir() {
    return hostDir;
  }

  /** Where VM folders live; also the host's default VM path. */
  public Path vmsDir() {
    return hostDir.resolve(SimulatedHostJson.VMS_DIR);
  }

  @Override
  public HostInventory inventory() throws IOException {
    Path hostFile = hostDir.resolve(SimulatedHostJson.HOST_FILE);
    HostFile host = SimulatedHostJson.read(hostFile, HostFile.class);
    check(!isBlank(host.hostName()), hostFile, "hostName is missing");
    Map<String, VirtualSwitch> switches = switches(hostFile, orEmpty(host.virtualSwitches()));
    HostInventory.Builder inventory =
        HostInventory.newBuilder()
            .setHostName(host.hostName())
            .setHypervisorKind(HypervisorKind.SIMULATED)
            .setHypervisorVersion(host.hypervisorVersion() == null ? "" : host.hypervisorVersion())
            .setDefaultVmPath(vmsDir().toString())
            .addAllVirtualSwitches(switches.values());
    List<String> storagePaths = orEmpty(host.storagePaths());
    for (String path : storagePaths.isEmpty() ? List.of(SimulatedHostJson.VMS_DIR) : storagePaths) {
      inventory.addStoragePaths(storagePath(hostFile, path));
    }
    inventory.addAllVirtualMachines(
        SimulatedVms.read(vmsDir(), host.hostName(), switches.keySet(), power));
    return inventory.build();
  }

  private static Map<String, VirtualSwitch> switches(Path hostFile, List<SwitchEntry> entries)
      throws IOException {
    Map<String, VirtualSwitch> switches = new LinkedHashMap<>();
    for (SwitchEntry entry : entries) {
      check(entry != null && !isBlank(entry.name()), hostFile, "a virtual switch has no name");
      String name = entry.name();
      check(!switches.containsKey(name), hostFile, "virtual switch '%s' is defined twice", name);
      check(
          SimulatedHostJson.isGuid(entry.id()),
          hostFile,
          "virtual switch '%s' has id '%s', expected a GUID",
          name,
          entry.id());
      check(
          SimulatedHostJson.SWITCH_TYPES.contains(entry.type()),
          hostFile,
          "virtual switch '%s' has type '%s', expected one of %s",
          name,
          entry.type(),
          SimulatedHostJson.SWITCH_TYPES);
      switches.put(
          name,
          VirtualSwitch.newBuilder()
              .setName(name)
              .setId(entry.id().toLowerCase(Locale.ROOT))
              .setSwitchType(entry.type())
              .build());
    }
    return switches;
  }

  private StoragePath storagePath(Path hostFile, String path) throws IOException {
    check(!isBlank(path), hostFile, "a storage path is empty");
    Path dir = hostDir.resolve(path).normalize();
    check(Files.isDirectory(dir), hostFile, "storage path %s is not a directory", dir);
    FileStore store = Files.getFileStore(dir);
    return StoragePath.newBuilder()
        .setPath(dir.toString())
        .setFreeBytes(store.getUsableSpace())
        .setTotalBytes(store.getTotalSpace())
        .build();
  }

  @Override
  public void stopVm(String vmId, boolean turnOff) throws IOException {
    power.stop(SimulatedVms.fileOf(vmsDir(), vmId), turnOff);
  }

  @Override
  public void startVm(String vmId) throws IOException {
    power.start(SimulatedVms.fileOf(vmsDir(), vmId));
  }

  /** Creates the VM in {@code vms/<id>/}; see {@link SimulatedVmCreator#create}. */
  @Override
  public VirtualMachine createVm(NewVm spec) throws IOException {
    Path hostFile = hostDir.resolve(SimulatedHostJson.HOST_FILE);
    HostFile host = SimulatedHostJson.read(hostFile, HostFile.class);
    String id = SimulatedVmCreator.create(vmsDir(),
        switches(hostFile, orEmpty(host.virtualSwitches())).keySet(), spec);
    return vm(inventory(), id);
  }

  /** Cuts the VM's power and removes its folder, disks and all. */
  @Override
  public void deleteVm(String vmId) throws IOException {
    Path vmFile;
    try {
      vmFile = SimulatedVms.fileOf(vmsDir(), vmId);
    } catch (java.nio.file.NoSuchFileException gone) {
      return;
    }
    power.stop(vmFile, true);
    // vm.json first: a delete cut short leaves only files no inventory shows.
    Files.delete(vmFile);
    try (java.util.stream.Stream<Path> files = Files.walk(vmFile.getParent())) {
      for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }

  /**
   * Refuses differencing disks, and any access while the VM is not Off: like Hyper-V, a running
   * VM's disks are read only through a {@link #createReadPoint read point}.
   */
  @Override
  public void checkDiskAccess(String vmId, String diskPath, boolean write) throws IOException {
    VirtualMachine vm = vm(inventory(), vmId);
    VirtualDisk disk = vm.getDisksList().stream().filter(d -> d.getPath().equals(diskPath))
        .findFirst().orElseThrow(() -> new IOException("disk " + diskPath + " is not a disk of"
            + " VM " + vm.getName()));
    if (disk.getType() == DiskType.DIFFERENCING) {
      throw new IOException("disk " + diskPath + " of VM " + vm.getName() + " is a differencing"
          + " disk (a checkpoint): merge the VM's checkpoints first");
    }
    if (vm.getPowerState() != PowerState.OFF) {
      throw new IOException("VM " + vm.getName() + " is " + vm.getStateDetail() + "; it must be"
          + " Off before its disk " + diskPath + " is " + (write ? "written" : "read in place"));
    }
  }

  @Override
  public ReadPoint createReadPoint(String vmId) throws IOException {
    vm(inventory(), vmId); // an unknown id fails here, naming this host
    Path vmFolder = SimulatedVms.fileOf(vmsDir(), vmId).getParent();
    return power.whileFrozen(vmFolder, () -> SimulatedReadPoint.create(vm(inventory(), vmId),
        readPointsDir(), new SimulatedChangeTracking(changeTrackingDir())));
  }

  @Override
  public void discardReadPoint(String vmId, String readPointId) throws IOException {
    SimulatedReadPoint.discard(readPointsDir(), readPointId);
  }

  /** The VM's read points whose folder was made from a minute before {@code since} on. */
  @Override
  public void discardReadPointsSince(String vmId, Instant since) throws IOException {
    SimulatedReadPoint.discardMadeBetween(readPointsDir(), vmId, since.minusSeconds(60),
        since.plus(MAKING_READ_POINT));
  }

  /**
   * Deletes the reference points of the VM's disks: every one the simulated host has is the
   * agent's. A VM no longer on the host has none that can be found (they are kept per disk).
   */
  @Override
  public int destroyReferencePoints(String vmId) throws IOException {
    Optional<VirtualMachine> vm = inventory().getVirtualMachinesList().stream()
        .filter(v -> v.getId().equalsIgnoreCase(vmId)).findFirst();
    SimulatedChangeTracking tracking = new SimulatedChangeTracking(changeTrackingDir());
    int destroyed = 0;
    for (VirtualDisk disk : vm.map(VirtualMachine::getDisksList).orElse(List.of())) {
      destroyed += tracking.destroyAll(disk.getPath());
    }
    return destroyed;
  }

  private Path readPointsDir() {
    return hostDir.resolve("read-points");
  }

  /** Where the simulated host keeps its reference points. */
  public Path changeTrackingDir() {
    return hostDir.resolve("change-tracking");
  }

  /** The host's change tracking, to ask what changed since a reference point. */
  public ChangeTracking changeTracking() {
    return new SimulatedChangeTracking(changeTrackingDir());
  }

  private static VirtualMachine vm(HostInventory inventory, String vmId) throws IOException {
    return inventory.getVirtualMachinesList().stream()
        .filter(vm -> vm.getId().equalsIgnoreCase(vmId)).findFirst()
        .orElseThrow(() -> new IOException("no VM with id " + vmId + " on this host"));
  }
}
