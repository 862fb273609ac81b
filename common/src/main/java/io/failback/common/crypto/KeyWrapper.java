package io.failback.common.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * Wraps a {@link JobKey} for an encryption certificate's RSA public key and unwraps it with
 * the private key, using RSA-OAEP with SHA-256 and MGF1-SHA-256 from the JDK.
 *
 * <p>The OAEP label is "failback/v1 job key " + key id: a wrapped key copied into another
 * job's session parameters does not unwrap there.
 */
public final class KeyWrapper {
  private static final String TRANSFORMATION = "RSA/ECB/OAEPPadding";

  private KeyWrapper() {}

  /** The wrapped form of {@code key}, openable only with the private key of {@code publicKey}. */
  public static byte[] wrap(JobKey key, PublicKey publicKey) throws GeneralSecurityException {
    Cipher rsa = Cipher.getInstance(TRANSFORMATION);
    rsa.init(Cipher.ENCRYPT_MODE, publicKey, oaep(key.keyId()));
    return rsa.doFinal(key.secretKey().getEncoded());
  }

  /**
   * Unwraps the key of job {@code keyId}.
   *
   * @throws GeneralSecurityException when the private key is not the one it was wrapped for,
   *     the key id differs, or the bytes were changed
   */
  public static JobKey unwrap(byte[] wrapped, PrivateKey privateKey, String keyId)
      throws GeneralSecurityException {
    Cipher rsa = Cipher.getInstance(TRANSFORMATION);
    rsa.init(Cipher.DECRYPT_MODE, privateKey, oaep(keyId));
    byte[] raw = rsa.doFinal(wrapped);
    if (raw.length != JobKey.BYTES) {
      throw new GeneralSecurityException("the unwrapped key has " + raw.length
          + " bytes, expected " + JobKey.BYTES);
    }
    return new JobKey(keyId, raw);
  }

  private static OAEPParameterSpec oaep(String keyId) {
    // Explicit: the JDK's default for OAEP uses SHA-1 in MGF1.
    return new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
        new PSource.PSpecified(("failback/v1 job key " + keyId)
            .getBytes(StandardCharsets.UTF_8)));
  }
}
