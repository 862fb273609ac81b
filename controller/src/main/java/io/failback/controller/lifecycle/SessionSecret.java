package io.failback.controller.lifecycle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/** A random value made once per controller and kept in its state dir, to seed digests. */
public final class SessionSecret {
  private SessionSecret() {}

  /** Reads the secret, creating it on first start. */
  public static long load(Path stateDir) throws IOException {
    Path file = stateDir.resolve("session.secret");
    if (!Files.exists(file)) {
      Files.createDirectories(stateDir);
      byte[] secret = new byte[8];
      new SecureRandom().nextBytes(secret);
      Files.write(file, secret, StandardOpenOption.CREATE_NEW);
    }
    byte[] secret = Files.readAllBytes(file);
    if (secret.length != 8) {
      throw new IOException(file + " is damaged: expected 8 bytes, found " + secret.length
          + "; delete it to make a new one");
    }
    return ByteBuffer.wrap(secret).getLong();
  }
}
