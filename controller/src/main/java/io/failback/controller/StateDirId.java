package io.failback.controller;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The id kept in a controller's state folder ({@code state.id}). Controllers sharing a store
 * must share the folder (the digest seeds' secret, reverse replication's seeds, digest sets):
 * the same folder gives the same id, so the lease can tell a standby whose folder is another.
 */
final class StateDirId {
  static final String FILE = "state.id";

  private StateDirId() {}

  /** Reads the id, making it on the folder's first use (once, whoever comes first). */
  static String load(Path stateDir) throws IOException {
    Path file = stateDir.resolve(FILE);
    if (!Files.exists(file)) {
      Files.createDirectories(stateDir);
      // Written whole under another name, then linked: a controller starting beside this one
      // on the same shared folder reads either nothing or the whole id, never half of it.
      Path draft = Files.createTempFile(stateDir, FILE, ".new");
      try {
        Files.writeString(draft, UUID.randomUUID() + "\n", StandardCharsets.US_ASCII);
        Files.createLink(file, draft);
      } catch (FileAlreadyExistsException raced) {
        // Another controller made it first: its id is the folder's.
      } finally {
        Files.deleteIfExists(draft);
      }
    }
    String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
    try {
      UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + " is damaged (not an id): if no other controller shares"
          + " this folder, delete it to make a new one");
    }
    return id;
  }

  /** Where the folder is, for people to read: this machine's name and the absolute path. */
  static String describe(Path stateDir) {
    return CloudChoice.machineName() + ":" + stateDir.toAbsolutePath().normalize();
  }
}
