package io.failback.agent.encryption;

import io.failback.common.crypto.JobKey;
import io.failback.common.crypto.KeyWrapper;
import io.failback.common.sync.DiskSync;
import io.failback.common.sync.SyncException;
import io.failback.proto.v1.PayloadEncryption;
import io.failback.proto.v1.SyncParameters;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;

/** The job keys of encrypted sync sessions, unwrapped with this host's private keys. */
public final class SessionKeys {
  private SessionKeys() {
  }

  /**
   * The job key of an encrypted session, unwrapped with the private key of the certificate it
   * names; null when the session is not encrypted.
   */
  public static JobKey payloadKey(EncryptionCertificateStore encryption,
      SyncParameters parameters) throws IOException, SyncException {
    if (!parameters.hasEncryption()) {
      return null;
    }
    PayloadEncryption wire = parameters.getEncryption();
    EncryptionCertificateStore.Held held = encryption.find(wire.getCertificateThumbprint())
        .orElse(null);
    if (held == null) {
      List<String> thumbprints = new ArrayList<>();
      for (EncryptionCertificateStore.Held h : encryption.load()) {
        thumbprints.add(h.thumbprint());
      }
      throw new SyncException(SyncException.Kind.FAILED_PRECONDITION, "this host holds no"
          + " private key for encryption certificate '" + wire.getCertificateThumbprint()
          + "' (it holds " + (thumbprints.isEmpty() ? "none" : String.join(", ", thumbprints))
          + "); the disk was not touched");
    }
    JobKey key;
    try {
      key = KeyWrapper.unwrap(wire.getWrappedKey().toByteArray(), held.privateKey(),
          wire.getKeyId());
    } catch (GeneralSecurityException e) {
      throw new SyncException(SyncException.Kind.FAILED_PRECONDITION, "the job key '"
          + wire.getKeyId() + "' does not unwrap with the private key of certificate "
          + held.thumbprint() + " (wrapped for another certificate or job, or changed in"
          + " transit); the disk was not touched");
    }
    // A key that unwraps may still not be the one the controller seals with.
    DiskSync.checkEncryption(parameters, key);
    return key;
  }
}
