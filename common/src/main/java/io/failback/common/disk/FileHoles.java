package io.failback.common.disk;

import com.sun.jna.Native;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a sparse file's holes are, from the file system's own map: {@code lseek(2)} with
 * {@code SEEK_DATA} and {@code SEEK_HOLE} on Linux, called through JNA since Java has no such
 * call. A hole reads as zeros by definition, so a range without data need not be read to know
 * it is zero, nor zeroed again.
 *
 * <p>Only ever an answer on the safe side: where the call is missing (not Linux, no libc, an
 * error) every range counts as data, which is what a file system without hole tracking reports
 * itself; ext4, XFS, btrfs and tmpfs count dirty pages not yet allocated as data.
 *
 * <p>Threading: thread-safe; the descriptor is opened once, read-only, with the device, and only
 * sought on, under the object's lock, so that a close cannot hand its number to another file mid-call
 * (a seek costs a microsecond; lanes ask once per chunk).
 */
final class FileHoles implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FileHoles.class);
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 02000000;
  private static final int SEEK_DATA = 3;
  private static final int SEEK_HOLE = 4;
  /** No data at or after the offset (lseek's ENXIO). */
  private static final int ENXIO = 6;
  private static final boolean LINKED = link();

  /**
   * The calls of the C library used here, bound by JNA's direct mapping (a third of an
   * interface proxy's cost per call: a full download asks once per run of zero blocks). They
   * report failure as -1 and errno ({@link Native#getLastError()}) rather than as an exception:
   * a range with no data after it is lseek's ENXIO, as common as any other answer, and an
   * exception costs a stack trace.
   */
  static final class LibC {
    private LibC() {}

    static native int open(String path, int flags);

    static native long lseek(int fd, long offset, int whence);

    static native int close(int fd);
  }

  private final Path path;
  private int fd = -1;
  private boolean unavailable = !LINKED;

  /**
   * Opens {@code path} at once, next to the device's own channel, so that its answers are about
   * the file the device opened, not one a later rename put in its place.
   */
  FileHoles(Path path) {
    this.path = path;
    descriptor();
  }

  /** Whether {@code [offset, offset + length)} holds no data: reads as zeros without reading. */
  boolean isHole(long offset, long length) {
    return length > 0 && nextData(offset, offset + length) >= offset + length;
  }

  /**
   * The first offset in {@code [from, limit)} that may hold data, or {@code limit} when the
   * rest of the range is a hole.
   */
  synchronized long nextData(long from, long limit) {
    int descriptor = descriptor();
    if (descriptor < 0 || from >= limit) {
      return from >= limit ? limit : from;
    }
    long data = LibC.lseek(descriptor, from, SEEK_DATA);
    if (data >= 0) {
      return Math.min(limit, data);
    }
    int error = Native.getLastError();
    if (error == ENXIO) {
      return limit;
    }
    give("lseek SEEK_DATA failed with error " + error);
    return from;
  }

  /** The first offset in {@code [from, limit)} that is a hole, or {@code limit} if none. */
  synchronized long nextHole(long from, long limit) {
    int descriptor = descriptor();
    if (descriptor < 0 || from >= limit) {
      return limit;
    }
    long hole = LibC.lseek(descriptor, from, SEEK_HOLE);
    if (hole >= 0) {
      return Math.min(limit, hole);
    }
    give("lseek SEEK_HOLE failed with error " + Native.getLastError());
    return limit;
  }

  private int descriptor() {
    if (fd < 0 && !unavailable) {
      fd = LibC.open(path.toString(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        give("opening it to find its holes failed with error " + Native.getLastError());
      }
    }
    return unavailable ? -1 : fd;
  }

  /** Every range counts as data from now on, said once. */
  private void give(String why) {
    if (!unavailable) {
      unavailable = true;
      log.info(path + ": " + why + "; zero ranges are read to be known (slower, same result)");
    }
  }

  @Override
  public synchronized void close() {
    if (fd >= 0) {
      // A read-only descriptor loses nothing when its close fails.
      LibC.close(fd);
      fd = -1;
    }
    unavailable = true;
  }

  private static boolean link() {
    if (!System.getProperty("os.name", "").startsWith("Linux")) {
      return false;
    }
    try {
      Native.register(LibC.class, "c");
      return true;
    } catch (UnsatisfiedLinkError e) {
      log.info("the C library cannot be loaded (" + e.getMessage() + "); holes of sparse files"
          + " are found by reading them");
      return false;
    }
  }
}
