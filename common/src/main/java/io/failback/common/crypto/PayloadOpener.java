package io.failback.common.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Opens blocks sealed by a {@link PayloadSealer} of the same job key and session.
 *
 * <p>Not thread-safe: one per lane.
 */
public final class PayloadOpener {
  private final JobKey key;
  private final String sessionId;
  private final Cipher cipher;

  public PayloadOpener(JobKey key, String sessionId) {
    this.key = key;
    this.sessionId = sessionId;
    this.cipher = Ciphers.aesGcm();
  }

  /**
   * The encoded bytes of block {@code index}, after checking its tag.
   *
   * @throws GeneralSecurityException when the nonce is malformed or the tag does not verify:
   *     the bytes were changed, belong to another block, session or job, or the key is wrong
   */
  public byte[] open(long index, int encoding, int rawLength, byte[] nonce, byte[] sealed)
      throws GeneralSecurityException {
    if (nonce.length != PayloadSealer.NONCE_BYTES) {
      throw new GeneralSecurityException("the nonce has " + nonce.length + " bytes, expected "
          + PayloadSealer.NONCE_BYTES);
    }
    if (sealed.length < PayloadSealer.TAG_BITS / 8) {
      throw new GeneralSecurityException("the payload has " + sealed.length + " bytes, too"
          + " short for its tag");
    }
    cipher.init(Cipher.DECRYPT_MODE, key.secretKey(),
        new GCMParameterSpec(PayloadSealer.TAG_BITS, nonce));
    cipher.updateAAD(BlockAad.of(key.keyId(), sessionId, index, encoding, rawLength));
    return cipher.doFinal(sealed);
  }
}
