package io.failback.agent.hyperv.powershell;

import io.failback.agent.hyperv.state.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Hyper-V reference points this agent made, per VM, oldest first: only these are ever
 * destroyed. Another backup product's reference points of the same VM are not ours to remove.
 *
 * <p>Kept in a file per VM when the driver has a state folder, else in memory (a one-off
 * command such as {@code inventory} makes none).
 */
final class OwnReferencePoints {
  /**
   * Reference points kept per VM: the controller diffs from the newest its last successful sync
   * recorded, and a few failed attempts in between must not push that one out.
   */
  static final int KEPT = 4;
  private static final Pattern SAFE_ID = Pattern.compile("[0-9A-Za-z-]{1,64}");

  private final Path dir;
  private final Map<String, List<String>> memory = new HashMap<>();

  /** @param dir where to keep the lists; null to keep them in memory only */
  OwnReferencePoints(Path dir) {
    this.dir = dir;
  }

  /** Records a new reference point; returns the older ones beyond {@link #KEPT} to destroy. */
  synchronized List<String> add(String vmId, String referencePointId) throws IOException {
    List<String> ids = new ArrayList<>(read(vmId));
    ids.add(referencePointId);
    write(vmId, ids);
    return List.copyOf(ids.subList(0, Math.max(0, ids.size() - KEPT)));
  }

  /** The reference points of VM {@code vmId} this agent made and has not destroyed. */
  synchronized List<String> of(String vmId) throws IOException {
    return List.copyOf(read(vmId));
  }

  /** Forgets a reference point once it was destroyed. */
  synchronized void remove(String vmId, String referencePointId) throws IOException {
    List<String> ids = new ArrayList<>(read(vmId));
    if (ids.remove(referencePointId)) {
      write(vmId, ids);
    }
  }

  private List<String> read(String vmId) throws IOException {
    if (dir == null) {
      return memory.getOrDefault(key(vmId), List.of());
    }
    try {
      return Files.readAllLines(file(vmId), StandardCharsets.UTF_8).stream()
          .filter(line -> !line.isBlank()).toList();
    } catch (NoSuchFileException none) {
      return List.of();
    }
  }

  private void write(String vmId, List<String> ids) throws IOException {
    if (dir == null) {
      memory.put(key(vmId), List.copyOf(ids));
      return;
    }
    DurableFiles.replace(file(vmId), String.join("\n", ids));
  }

  private Path file(String vmId) throws IOException {
    return dir.resolve(key(vmId));
  }

  private static String key(String vmId) throws IOException {
    if (!SAFE_ID.matcher(vmId).matches()) {
      throw new IOException("'" + vmId + "' is not a VM id");
    }
    return vmId.toLowerCase(Locale.ROOT);
  }
}
