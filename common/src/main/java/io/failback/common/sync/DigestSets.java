package io.failback.common.sync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Where one side keeps its digest sets: one file per set under a directory of its own. */
public final class DigestSets {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private final Path dir;

  public DigestSets(Path dir) {
    this.dir = dir;
  }

  /**
   * Opens the set {@code name}; names are checked so a peer cannot point outside the directory.
   *
   * @throws SyncException INVALID_ARGUMENT for a bad name, FAILED_PRECONDITION when the set is
   *     missing (TRACKED) or of another shape
   */
  DigestSet open(String name, DigestSet.Shape shape, boolean mustExist) throws SyncException {
    if (!isValidName(name)) {
      throw SyncException.invalid("digest_set '%s' is not a valid name", name);
    }
    try {
      return DigestSet.open(dir.resolve(name + ".digests"), shape, mustExist);
    } catch (IOException e) {
      throw new SyncException(SyncException.Kind.FAILED_PRECONDITION, e.getMessage(), e);
    }
  }

  /** Whether {@code name} may name a set: one that cannot point outside the directory. */
  public static boolean isValidName(String name) {
    return NAME.matcher(name).matches() && !name.contains("..");
  }

  /**
   * Deletes the set {@code name}, e.g. when its disk is deleted; returns whether there was one
   * (never for a name that is not valid).
   */
  public boolean delete(String name) throws IOException {
    return isValidName(name) && Files.deleteIfExists(dir.resolve(name + ".digests"));
  }
}
