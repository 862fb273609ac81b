package io.failback.agent.hyperv.powershell;

import static io.failback.agent.hyperv.powershell.PsJson.objects;
import static io.failback.agent.hyperv.powershell.PsJson.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.failback.agent.hyperv.ChangeTracking;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.agent.hyperv.ReadPoint.OutcomeUnknownException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hyper-V recovery checkpoint used as a read point (see the scripts {@code
 * create-read-point.ps1}, {@code keep-read-point.ps1} and {@code discard-read-point.ps1}).
 *
 * <p>While it exists the guest writes into differencing files, so the base disks, the files the
 * inventory names, are frozen: they are read in place and their changed ranges asked of RCT.
 */
final class HyperVReadPoint implements ReadPoint {
  private static final Logger log = LoggerFactory.getLogger(HyperVReadPoint.class);
  /** create-read-point.ps1's exit code for a failure after CreateSnapshot was called. */
  private static final int CHECKPOINT_MAY_EXIST = 2;

  private final PowerShell shell;
  private final Duration timeout;
  private final RctChangeTracking tracking;
  private final OwnReferencePoints own;
  private final String id;
  private final String vmId;
  /** The checkpoint's disks by lower-case path (Windows paths ignore case). */
  private final Map<String, JsonObject> disks;
  private final Consumer<HyperVReadPoint> onEnd;

  private HyperVReadPoint(PowerShell shell, Duration timeout, RctChangeTracking tracking,
      OwnReferencePoints own, String id, String vmId, Map<String, JsonObject> disks,
      Consumer<HyperVReadPoint> onEnd) {
    this.shell = shell;
    this.timeout = timeout;
    this.tracking = tracking;
    this.own = own;
    this.id = id;
    this.vmId = vmId;
    this.disks = disks;
    this.onEnd = onEnd;
  }

  /** Creates one; {@code onEnd} runs once it has been kept or discarded. */
  static HyperVReadPoint create(PowerShell shell, Duration timeout, RctChangeTracking tracking,
      OwnReferencePoints own, String vmId, Consumer<HyperVReadPoint> onEnd) throws IOException {
    try {
      JsonObject answer = PowerShellHypervisor.object(shell.run("create-read-point.ps1",
          PowerShell.parameters("vmId", vmId), "create a read point (recovery checkpoint) of VM "
              + vmId, timeout));
      String id = PsJson.required(answer, "id", "the read point of VM " + vmId);
      Map<String, JsonObject> disks = new LinkedHashMap<>();
      for (JsonObject disk : objects(answer, "disks")) {
        disks.put(key(PsJson.required(disk, "path", "a disk of read point " + id)), disk);
      }
      return new HyperVReadPoint(shell, timeout, tracking, own, id, vmId, disks, onEnd);
    } catch (PowerShell.ScriptFailedException e) {
      if (e.exit() == CHECKPOINT_MAY_EXIST) {
        throw new OutcomeUnknownException(e.getMessage(), e);
      }
      throw e; // the script refused or cleaned up: nothing was made
    } catch (IOException e) {
      // Stopped, or an answer we cannot use from a script that made the checkpoint.
      throw new OutcomeUnknownException(e.getMessage(), e);
    }
  }

  /** Discards read point {@code id} of VM {@code vmId}; nothing if it has ended. */
  static void discard(PowerShell shell, Duration timeout, String vmId, String id)
      throws IOException {
    shell.run("discard-read-point.ps1", PowerShell.parameters("vmId", vmId, "pointId", id),
        "discard read point " + id + " of VM " + vmId, timeout);
  }

  @Override
  public String id() {
    return id;
  }

  /** The frozen base disk itself, once it is known to be a whole VHDX of its own. */
  @Override
  public Path disk(String diskPath) throws IOException {
    JsonObject disk = disks.get(key(diskPath));
    if (disk == null) {
      throw new IOException("disk " + diskPath + " is not in read point " + id + " of VM "
          + vmId + " (it has " + String.join(", ", disks.keySet()) + ")");
    }
    PowerShellHypervisor.requireWholeVhdx(disk, diskPath, "VM " + vmId);
    return Path.of(text(disk, "path"));
  }

  @Override
  public Optional<List<ChangeTracking.ByteRange>> changedSince(String diskPath, String reference,
      long diskSize) throws IOException {
    disk(diskPath);
    return tracking.changedSince(diskPath, reference, diskSize);
  }

  /**
   * The disk a VM's live disk stands for while this read point is open: a differencing file
   * whose parent is one of its frozen disks shows as that disk; any other disk as it is.
   */
  JsonObject frozen(JsonObject liveDisk) {
    JsonObject base = disks.get(key(text(liveDisk, "parentPath")));
    return base == null ? liveDisk : base;
  }

  @Override
  public Map<String, String> keep(List<String> diskPaths) throws IOException {
    JsonObject answer = PowerShellHypervisor.object(shell.run("keep-read-point.ps1",
        PowerShell.parameters("vmId", vmId, "pointId", id, "diskPaths", diskPaths),
        "keep read point " + id + " of VM " + vmId + " as a reference point", timeout));
    onEnd.accept(this);
    // Recorded first: even a reference point whose answer is unusable is this agent's to remove.
    destroyOldReferencePoints(PsJson.required(answer, "referencePointId",
        "the reference point of VM " + vmId));
    return RctChangeTracking.references(answer, vmId, diskPaths);
  }

  /**
   * Records the new reference point and destroys this agent's older ones beyond the newest few
   * (each pins change-tracking history on the host); a failure is retried with the next one.
   */
  private void destroyOldReferencePoints(String referencePointId) {
    try {
      for (String old : own.add(vmId, referencePointId)) {
        destroyReferencePoint(shell, timeout, own, vmId, old);
      }
    } catch (IOException e) {
      log.warn("old reference points of VM " + vmId + " were not all removed: "
          + e.getMessage());
    }
  }

  /**
   * Destroys reference point {@code id} this agent made of VM {@code vmId}, then forgets it;
   * returns whether the host still had it.
   */
  static boolean destroyReferencePoint(PowerShell shell, Duration timeout,
      OwnReferencePoints own, String vmId, String id) throws IOException {
    JsonElement answer = shell.run("destroy-reference-point.ps1",
        PowerShell.parameters("referencePointId", id), "destroy reference point " + id
            + " of VM " + vmId, timeout);
    // The script ended well: the host has it no more, whatever the answer says.
    own.remove(vmId, id);
    return PsJson.bool(PowerShellHypervisor.object(answer), "destroyed");
  }

  @Override
  public void discard() throws IOException {
    discard(shell, timeout, vmId, id);
    onEnd.accept(this);
  }

  private static String key(String path) {
    return path.toLowerCase(Locale.ROOT);
  }
}
