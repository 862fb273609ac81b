package io.failback.agent.hyperv.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The newest generation of each VM that a controller has shown this agent, kept on the
 * agent's disk (DESIGN.md, "Fencing").
 *
 * <p>A protected item's generation grows whenever its active site moves. A command that carries
 * an older generation than this agent has seen comes from a controller that lost track of where
 * the VM is active (an old process, a restored database) and is refused: it must not stop,
 * start or write the VM. Zero means "no generation": accepted only until a real one was seen.
 */
public final class VmGenerations {
  private final Path dir;

  public VmGenerations(Path stateDir) {
    this.dir = stateDir.resolve("generations");
  }

  /**
   * Accepts a command for {@code vmId} carrying {@code generation}, remembering it durably if
   * it is newer than any seen before.
   *
   * @throws IOException if it is older than one seen before, naming both
   */
  public synchronized void admit(String vmId, long generation) throws IOException {
    long newest = newest(vmId);
    if (generation < newest) {
      throw new IOException("refused: the command for VM " + vmId + " carries generation "
          + generation + ", but this agent has seen generation " + newest + "; it comes from"
          + " a controller that no longer knows where the VM is active");
    }
    if (generation > newest) {
      DurableFiles.replace(file(vmId), Long.toString(generation));
    }
  }

  /** The newest generation seen for {@code vmId}, 0 if none. */
  public synchronized long newest(String vmId) throws IOException {
    try {
      return Long.parseLong(Files.readString(file(vmId), StandardCharsets.UTF_8).trim());
    } catch (NoSuchFileException e) {
      return 0;
    } catch (NumberFormatException e) {
      throw new IOException("generation file " + file(vmId) + " is damaged: " + e.getMessage());
    }
  }

  private Path file(String vmId) throws IOException {
    return DurableFiles.vmFile(dir, vmId);
  }
}
