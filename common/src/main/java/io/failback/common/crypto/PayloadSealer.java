package io.failback.common.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals the (already encoded) bytes of blocks of one session with AES-256-GCM.
 *
 * <p>Each block gets a fresh random 96-bit nonce. A nonce derived from the block's position
 * would repeat: a block is sent again with other content after a resume or in a later phase of
 * the same job, under the same key. Random nonces keep the chance of a repeat below 2^-32 for
 * up to 2^32 blocks per key (NIST SP 800-38D, 8.3), 256 TiB of 64 KiB blocks per job.
 *
 * <p>Not thread-safe: one per lane.
 */
public final class PayloadSealer {
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;

  private final JobKey key;
  private final String sessionId;
  private final Cipher cipher;
  private final SecureRandom random = new SecureRandom();

  /** A sealed block: the nonce and the ciphertext followed by the tag. */
  public record Sealed(byte[] nonce, byte[] ciphertext) {}

  public PayloadSealer(JobKey key, String sessionId) {
    this.key = key;
    this.sessionId = sessionId;
    this.cipher = Ciphers.aesGcm();
  }

  /** Seals {@code length} bytes of {@code data} from {@code offset} as block {@code index}. */
  public Sealed seal(long index, int encoding, int rawLength, byte[] data, int offset,
      int length) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key.secretKey(), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(BlockAad.of(key.keyId(), sessionId, index, encoding, rawLength));
      return new Sealed(nonce, cipher.doFinal(data, offset, length));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed to encrypt", e);
    }
  }
}
