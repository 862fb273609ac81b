package io.failback.common.disk;

import java.io.IOException;
import java.nio.file.Path;

/** A disk image file is not in the format it claims to be, or its structures are corrupt. */
public class DiskFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  /** Creates an exception whose message is {@code "<file>: <problem>"}. */
  public DiskFormatException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** The image file that was rejected. */
  public Path file() {
    return file;
  }
}
