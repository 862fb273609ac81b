package io.failback.common.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;

/** The JDK's AES-GCM, which every Java 17 runtime provides. */
final class Ciphers {
  private Ciphers() {}

  static Cipher aesGcm() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK lacks AES/GCM/NoPadding", e);
    }
  }
}
