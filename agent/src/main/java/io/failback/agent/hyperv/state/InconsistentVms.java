package io.failback.agent.hyperv.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * VMs whose disks hold a mix of old and new blocks, kept on the agent's own disk.
 *
 * <p>The mark is durable before the first block is written and survives a lost controller and
 * an agent restart: "inconsistent" is a state, not a log line. Only a verified sync clears it.
 */
public final class InconsistentVms {
  private final Path dir;

  public InconsistentVms(Path stateDir) {
    this.dir = stateDir.resolve("inconsistent");
  }

  /** Marks {@code vmId} inconsistent, durably, before its disks are touched. */
  public synchronized void mark(String vmId, String reason) throws IOException {
    DurableFiles.replace(file(vmId), reason);
  }

  /** Clears the mark after the disks were verified. */
  public synchronized void clear(String vmId) throws IOException {
    Files.deleteIfExists(file(vmId));
    DurableFiles.syncDirectory(dir);
  }

  /** Why {@code vmId} must not start, if it is marked. */
  public synchronized Optional<String> reason(String vmId) throws IOException {
    try {
      return Optional.of(Files.readString(file(vmId), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  private Path file(String vmId) throws IOException {
    return DurableFiles.vmFile(dir, vmId);
  }
}
