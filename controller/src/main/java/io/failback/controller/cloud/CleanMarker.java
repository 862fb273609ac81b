package io.failback.controller.cloud;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file whose presence says that a snapshot's persisted tracking state is complete.
 *
 * <p>Ordering: it is created only after the state it vouches for is durable, and deleted
 * durably before the first change to that state, so a crash at any point leaves either an
 * accurate state with the marker or no marker.
 */
final class CleanMarker {
  private final Path file;
  private volatile boolean clean;

  CleanMarker(Path file) {
    this.file = file;
    this.clean = Files.exists(file);
  }

  boolean isClean() {
    return clean;
  }

  /** Called before every change; only the first after {@link #markClean} touches the disk. */
  void markDirty() throws IOException {
    if (!clean) {
      return;
    }
    synchronized (this) {
      if (clean) {
        Files.deleteIfExists(file);
        AtomicFiles.syncDirectory(file.getParent());
        clean = false;
      }
    }
  }

  /** Vouches for the state persisted so far; the caller has made it durable already. */
  synchronized void markClean() throws IOException {
    try (FileChannel out =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      out.force(true);
    }
    AtomicFiles.syncDirectory(file.getParent());
    clean = true;
  }
}
