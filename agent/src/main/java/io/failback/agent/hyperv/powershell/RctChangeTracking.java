package io.failback.agent.hyperv.powershell;

import static io.failback.agent.hyperv.powershell.PsJson.bool;
import static io.failback.agent.hyperv.powershell.PsJson.number;
import static io.failback.agent.hyperv.powershell.PsJson.objects;
import static io.failback.agent.hyperv.powershell.PsJson.text;

import com.google.gson.JsonObject;
import io.failback.agent.hyperv.ChangeTracking;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hyper-V resilient change tracking (Windows Server 2016+) through WMI's {@code
 * GetVirtualDiskChanges}.
 *
 * <p>Any answer short of a complete, well-formed list is "unknown": the caller's checksum pass
 * is slower but always right, while a wrong list would silently skip changed data.
 */
final class RctChangeTracking implements ChangeTracking {
  private static final Logger log = LoggerFactory.getLogger(RctChangeTracking.class);

  private final PowerShell shell;
  private final Duration timeout;

  RctChangeTracking(PowerShell shell, Duration timeout) {
    this.shell = shell;
    this.timeout = timeout;
  }

  @Override
  public Optional<List<ByteRange>> changedSince(String diskPath, String referencePoint,
      long diskSize) {
    if (referencePoint == null || referencePoint.isBlank()) {
      return Optional.empty();
    }
    try {
      JsonObject answer = PowerShellHypervisor.object(shell.run("changed-ranges.ps1",
          PowerShell.parameters("path", diskPath, "limitId", referencePoint, "byteOffset", 0,
              "byteLength", diskSize),
          "read the changed blocks of " + diskPath, timeout));
      if (!bool(answer, "available")) {
        log.info("no changed-block tracking for " + diskPath + " since " + referencePoint
            + " (" + text(answer, "reason") + "); comparing checksums instead");
        return Optional.empty();
      }
      return Optional.of(normalize(answer, diskSize));
    } catch (IOException | IllegalArgumentException e) {
      log.warn("changed-block tracking of " + diskPath + " failed (" + e.getMessage()
          + "); comparing checksums instead");
      return Optional.empty();
    }
  }

  /** Each disk's reference id from a {@code keep-read-point.ps1} answer; all must be there. */
  static Map<String, String> references(JsonObject answer, String vmId, List<String> diskPaths)
      throws IOException {
    Map<String, String> references = new LinkedHashMap<>();
    for (JsonObject reference : objects(answer, "references")) {
      references.put(text(reference, "path"), text(reference, "reference"));
    }
    for (String path : diskPaths) {
      if (references.getOrDefault(path, "").isEmpty()) {
        throw new IOException("the reference point of VM " + vmId + " has no change tracking"
            + " id for disk " + path);
      }
    }
    return references;
  }

  /**
   * Sorted, merged ranges; a range outside the disk or of negative length makes the whole answer
   * untrustworthy.
   */
  private static List<ByteRange> normalize(JsonObject answer, long diskSize) throws IOException {
    List<ByteRange> ranges = new ArrayList<>();
    for (JsonObject range : objects(answer, "ranges")) {
      long length = number(range, "length");
      // An empty range changed nothing; refusing it would cost a checksum pass of the disk.
      if (length != 0) {
        ranges.add(new ByteRange(number(range, "offset"), length));
      }
    }
    ranges.sort(Comparator.comparingLong(ByteRange::offset));
    List<ByteRange> merged = new ArrayList<>();
    for (ByteRange range : ranges) {
      if (range.end() > diskSize) {
        throw new IOException("a changed range ends at " + range.end() + ", past the disk's "
            + diskSize + " bytes");
      }
      ByteRange last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && range.offset() <= last.end()) {
        merged.set(merged.size() - 1, new ByteRange(last.offset(),
            Math.max(last.end(), range.end()) - last.offset()));
      } else {
        merged.add(range);
      }
    }
    return merged;
  }
}
