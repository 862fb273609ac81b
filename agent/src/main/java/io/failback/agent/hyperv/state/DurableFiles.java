package io.failback.agent.hyperv.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.regex.Pattern;

/** Small state files of the agent that must survive a crash whole: old or new, never torn. */
public final class DurableFiles {
  private static final Pattern SAFE_ID = Pattern.compile("[0-9A-Za-z-]{1,64}");

  private DurableFiles() {}

  /**
   * The file for {@code vmId} in {@code dir}, one per VM whatever the id's case (Hyper-V prints
   * GUIDs either way); ids that could leave the folder are refused.
   */
  static Path vmFile(Path dir, String vmId) throws IOException {
    if (!SAFE_ID.matcher(vmId).matches()) {
      throw new IOException("'" + vmId + "' is not a VM id");
    }
    return dir.resolve(vmId.toLowerCase(Locale.ROOT));
  }

  /** Replaces {@code file} with {@code content}: written, flushed, renamed, directory synced. */
  public static void replace(Path file, String content) throws IOException {
    replace(file, content.getBytes(StandardCharsets.UTF_8));
  }

  /** Like {@link #replace(Path, String)}, with bytes. */
  public static void replace(Path file, byte[] content) throws IOException {
    Path dir = file.getParent();
    Files.createDirectories(dir);
    Path temporary = dir.resolve(file.getFileName() + ".tmp");
    Files.write(temporary, content);
    try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(dir);
  }

  public static void syncDirectory(Path dir) {
    // A rename is durable only once its directory is; not every platform can open one.
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Windows cannot open directories; NTFS journals the rename itself.
    }
  }
}
