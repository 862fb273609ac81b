package io.failback.common.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 key that seals the block payloads of one job, with the id that names it.
 *
 * <p>The controller makes it and keeps it in memory only; the agent gets it by unwrapping the
 * copy wrapped for its encryption certificate ({@link KeyWrapper}).
 */
public final class JobKey {
  static final int BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String keyId;
  private final SecretKey key;

  JobKey(String keyId, byte[] raw) {
    if (keyId == null || keyId.isEmpty()) {
      throw new IllegalArgumentException("a job key needs a key id (the job id)");
    }
    if (raw.length != BYTES) {
      throw new IllegalArgumentException("a job key has " + BYTES + " bytes, got " + raw.length);
    }
    this.keyId = keyId;
    this.key = new SecretKeySpec(raw, "AES");
    Arrays.fill(raw, (byte) 0);
  }

  /** A fresh random key for job {@code keyId}. */
  public static JobKey generate(String keyId) {
    byte[] raw = new byte[BYTES];
    RANDOM.nextBytes(raw);
    return new JobKey(keyId, raw);
  }

  /** Names the key; bound into every payload's authenticated data and into its wrapping. */
  public String keyId() {
    return keyId;
  }

  SecretKey secretKey() {
    return key;
  }

  @Override
  public String toString() {
    return "JobKey[" + keyId + "]"; // never the key bytes
  }
}
