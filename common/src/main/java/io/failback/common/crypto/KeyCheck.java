package io.failback.common.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * A key check value: an AES-GCM tag over no plaintext, under the job key and its key id.
 *
 * <p>It travels beside the wrapped key so that a target whose key differs from the source's
 * (a wrapped key that unwraps, but to another key) refuses the session before its first write,
 * instead of at its first sealed block, after zero ranges (which carry no data to
 * authenticate) may already have been applied.
 */
public final class KeyCheck {
  private static final SecureRandom RANDOM = new SecureRandom();

  private KeyCheck() {}

  /** A fresh check value for {@code key}: a 12-byte nonce followed by the 16-byte tag. */
  public static byte[] of(JobKey key) {
    byte[] nonce = new byte[PayloadSealer.NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher gcm = Ciphers.aesGcm();
      gcm.init(Cipher.ENCRYPT_MODE, key.secretKey(),
          new GCMParameterSpec(PayloadSealer.TAG_BITS, nonce));
      gcm.updateAAD(BlockAad.keyCheck(key.keyId()));
      byte[] tag = gcm.doFinal();
      byte[] check = Arrays.copyOf(nonce, nonce.length + tag.length);
      System.arraycopy(tag, 0, check, nonce.length, tag.length);
      return check;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed to encrypt", e);
    }
  }

  /** Whether {@code check} was made with {@code key}. */
  public static boolean verify(JobKey key, byte[] check) {
    if (check.length != PayloadSealer.NONCE_BYTES + PayloadSealer.TAG_BITS / 8) {
      return false;
    }
    try {
      Cipher gcm = Ciphers.aesGcm();
      gcm.init(Cipher.DECRYPT_MODE, key.secretKey(), new GCMParameterSpec(
          PayloadSealer.TAG_BITS, check, 0, PayloadSealer.NONCE_BYTES));
      gcm.updateAAD(BlockAad.keyCheck(key.keyId()));
      gcm.doFinal(check, PayloadSealer.NONCE_BYTES, check.length - PayloadSealer.NONCE_BYTES);
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
