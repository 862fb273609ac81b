package io.failback.agent.hyperv.powershell;

import static io.failback.agent.hyperv.powershell.PsJson.bool;
import static io.failback.agent.hyperv.powershell.PsJson.enumName;
import static io.failback.agent.hyperv.powershell.PsJson.number;
import static io.failback.agent.hyperv.powershell.PsJson.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.hyperv.NewVm;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a real Hyper-V host through its PowerShell module, one {@code powershell} process per
 * operation (see {@link PowerShell} for how values reach the scripts safely).
 *
 * <p>Holds no state: every answer is the host's as it is at the call. Needs the rights of local
 * Administrators or Hyper-V Administrators.
 */
public final class PowerShellHypervisor implements HypervisorDriver {
  private static final Logger log = LoggerFactory.getLogger(PowerShellHypervisor.class);

  private final PowerShell shell;
  private final Options options;
  private final RctChangeTracking changeTracking;
  private final OwnReferencePoints own;
  /** Read points this driver made that have not ended, by lower-case VM id. */
  private final Map<String, HyperVReadPoint> readPoints = new ConcurrentHashMap<>();

  /**
   * How the driver runs PowerShell.
   *
   * @param executable {@code powershell.exe} (5.1), {@code pwsh} (7) or a full path
   * @param commandTimeout longest wait for a query or a quick change (start, create)
   * @param shutdownTimeout how long a guest may take to shut down before its VM is turned off
   * @param checkpointTimeout longest wait to make, keep or discard a read point (a recovery
   *     checkpoint waits for the guest's VSS writers)
   */
  public record Options(String executable, Duration commandTimeout, Duration shutdownTimeout,
      Duration checkpointTimeout) {
    /** The agent's defaults: 2 minutes per command, 5 per guest shutdown, 10 per checkpoint. */
    public static Options defaults(String executable) {
      return new Options(executable, Duration.ofMinutes(2), Duration.ofMinutes(5),
          Duration.ofMinutes(10));
    }
  }

  /** A driver that remembers the reference points it made in memory only. */
  public PowerShellHypervisor(Options options) {
    this(options, null);
  }

  /**
   * A driver that remembers the reference points it made in {@code stateDir}, so that it
   * removes its own old ones, and only those, across restarts; null keeps them in memory.
   */
  public PowerShellHypervisor(Options options, Path stateDir) {
    this.shell = new PowerShell(options.executable());
    this.options = options;
    this.own = new OwnReferencePoints(
        stateDir == null ? null : stateDir.resolve("hyperv-reference-points"));
    this.changeTracking = new RctChangeTracking(shell, options.commandTimeout());
  }

  @Override
  public HostInventory inventory() throws IOException {
    return HyperVInventory.map(
        shell.run("inventory.ps1", PowerShell.parameters(), "read the Hyper-V inventory",
            options.commandTimeout()), readPoints);
  }

  /**
   * A guest shutdown that may take {@link Options#shutdownTimeout}, then a power cut if the
   * guest did not stop or cannot shut down (no integration services); a power cut at once when
   * {@code turnOff}.
   */
  @Override
  public void stopVm(String vmId, boolean turnOff) throws IOException {
    long seconds = Math.max(1, options.shutdownTimeout().toSeconds());
    JsonObject answer = object(shell.run("stop-vm.ps1",
        PowerShell.parameters("vmId", vmId, "turnOff", turnOff, "timeoutSeconds", seconds),
        "stop VM " + vmId, options.shutdownTimeout().plus(options.commandTimeout())));
    if (!turnOff && bool(answer, "turnedOff")) {
      log.warn("VM " + vmId + " was turned off: " + text(answer, "reason"));
    }
    requireState(answer, vmId, "Off");
  }

  @Override
  public void startVm(String vmId) throws IOException {
    requireState(object(shell.run("start-vm.ps1", PowerShell.parameters("vmId", vmId),
        "start VM " + vmId, options.commandTimeout())), vmId, "Running");
  }

  @Override
  public VirtualMachine createVm(NewVm spec) throws IOException {
    JsonObject created = object(shell.run("create-vm.ps1", spec,
        "create VM '" + spec.name() + "'", options.commandTimeout()));
    String id = PsJson.required(created, "id", "the new VM");
    return inventory().getVirtualMachinesList().stream()
        .filter(vm -> vm.getId().equalsIgnoreCase(id)).findFirst()
        .orElseThrow(() -> new IOException("VM '" + spec.name() + "' was created with id " + id
            + " but is not in the inventory"));
  }

  @Override
  public void deleteVm(String vmId) throws IOException {
    JsonObject answer = object(shell.run("delete-vm.ps1", PowerShell.parameters("vmId", vmId),
        "delete VM " + vmId, options.commandTimeout()));
    List<String> kept = PsJson.texts(answer, "kept");
    if (!kept.isEmpty()) {
      log.warn("VM " + vmId + " deleted, but not the disk files attached to it that it was not"
          + " created with (they may be another VM's): " + kept);
    }
  }

  /**
   * Refuses unless the VM is Off, has no checkpoints, and the disk is its own, a VHDX, not
   * differencing and not attached: Hyper-V holds a running VM's disks open, and a checkpoint
   * chain means the VM's data is spread over several files.
   */
  @Override
  public void checkDiskAccess(String vmId, String diskPath, boolean write) throws IOException {
    JsonObject disk = object(shell.run("check-disk.ps1",
        PowerShell.parameters("vmId", vmId, "path", diskPath), "check disk " + diskPath,
        options.commandTimeout()));
    String vm = "VM '" + text(disk, "vmName") + "'";
    String state = enumName(disk, "vmState", HyperVEnums.VM_STATE);
    if (!bool(disk, "connected")) {
      throw new IOException("disk " + diskPath + " is not connected to " + vm);
    }
    requireWholeVhdx(disk, diskPath, vm);
    long checkpoints = number(disk, "checkpoints");
    if (checkpoints > 0) {
      throw new IOException(vm + " has " + checkpoints + " checkpoint(s), a chain of disk"
          + " files: delete them (Remove-VMSnapshot) to merge before syncing its disks");
    }
    if (!state.equalsIgnoreCase("Off")) {
      throw new IOException(vm + " is " + state + "; it must be Off before its disk "
          + diskPath + " is " + (write ? "written" : "read"));
    }
    if (bool(disk, "attached")) {
      throw new IOException("disk " + diskPath + " is attached (mounted on the host or in use):"
          + " Dismount-VHD it before it is " + (write ? "written" : "read"));
    }
  }

  /**
   * Refuses a disk that is not a whole VHDX of its own: a differencing disk holds only part of
   * the data, and older formats are not what the sync engine reads.
   */
  static void requireWholeVhdx(JsonObject disk, String diskPath, String vm) throws IOException {
    if (HyperVInventory.diskType(disk) == DiskType.DIFFERENCING) {
      throw new IOException("disk " + diskPath + " of " + vm + " is a differencing disk (parent "
          + text(disk, "parentPath") + "): delete the VM's checkpoints to merge them first");
    }
    if (!enumName(disk, "format", HyperVEnums.VHD_FORMAT).equalsIgnoreCase("VHDX")) {
      throw new IOException("disk " + diskPath + " of " + vm + " is "
          + text(disk, "format") + "; only VHDX disks can be synced (Convert-VHD first)");
    }
  }

  /** A recovery checkpoint: the guest runs on while the disks it had are read. */
  @Override
  public ReadPoint createReadPoint(String vmId) throws IOException {
    String key = vmId.toLowerCase(Locale.ROOT);
    HyperVReadPoint point = HyperVReadPoint.create(shell, options.checkpointTimeout(),
        changeTracking, own, vmId, ended -> readPoints.remove(key, ended));
    readPoints.put(key, point);
    return point;
  }

  @Override
  public void discardReadPoint(String vmId, String readPointId) throws IOException {
    HyperVReadPoint.discard(shell, options.checkpointTimeout(), vmId, readPointId);
  }

  @Override
  public void discardReadPointsSince(String vmId, Instant since) throws IOException {
    // A CreateSnapshot job may run on after the agent stopped waiting for it.
    Instant until = since.plus(options.checkpointTimeout().multipliedBy(2));
    shell.run("discard-read-points-since.ps1", PowerShell.parameters("vmId", vmId, "since",
        since.toString(), "until", until.toString()), "discard the read points of VM " + vmId
        + " made between " + since + " and " + until, options.checkpointTimeout());
  }

  /**
   * Destroys the reference points of the VM that this driver recorded as its own (see {@link
   * OwnReferencePoints}); any other on the host is another product's and stays.
   */
  @Override
  public int destroyReferencePoints(String vmId) throws IOException {
    int destroyed = 0;
    for (String id : own.of(vmId)) {
      destroyed += HyperVReadPoint.destroyReferencePoint(shell, options.checkpointTimeout(), own,
          vmId, id) ? 1 : 0;
    }
    return destroyed;
  }

  private static void requireState(JsonObject answer, String vmId, String expected)
      throws IOException {
    String state = enumName(answer, "state", HyperVEnums.VM_STATE);
    if (!state.equalsIgnoreCase(expected)) {
      throw new IOException("VM " + vmId + " is " + state + " afterwards, expected " + expected);
    }
  }

  static JsonObject object(JsonElement json) throws IOException {
    if (!json.isJsonObject()) {
      throw new IOException("PowerShell answered " + json + ", expected a JSON object");
    }
    return json.getAsJsonObject();
  }
}
