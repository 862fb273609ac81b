package io.failback.common.tls;

import java.nio.file.Path;

/** Where a process finds its certificate chain, private key and trust bundle (all PEM). */
public record TlsFiles(Path certificate, Path privateKey, Path trustBundle) {
  @Override
  public String toString() {
    return "certificate " + certificate + ", key " + privateKey + ", trust " + trustBundle;
  }
}
