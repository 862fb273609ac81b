package io.failback.common.disk;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Publishing fully written files under their final name, durably and without clobbering. */
public final class DurableFiles {
  private DurableFiles() {}

  /**
   * Makes the flushed file {@code temp} visible as {@code target}, failing if {@code target}
   * exists; the caller deletes {@code temp} afterwards.
   */
  static void publishNew(Path temp, Path target) throws IOException {
    try {
      // link(2) fails when the target exists, where rename(2) would silently replace it.
      Files.createLink(target, temp);
    } catch (FileAlreadyExistsException e) {
      throw refuse(target);
    } catch (UnsupportedOperationException | FileSystemException e) {
      // No hard links on this file system (FAT, some network shares): check, then rename.
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        throw refuse(target);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    }
    syncDirectory(target.toAbsolutePath().getParent());
  }

  private static FileAlreadyExistsException refuse(Path target) {
    return new FileAlreadyExistsException(target.toString(), null, "refusing to overwrite");
  }

  /** Makes a new directory entry durable; a no-op where directories cannot be opened. */
  public static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Windows cannot open a directory this way; NTFS journals the new entry itself.
    }
  }
}
