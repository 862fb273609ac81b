package io.failback.controller.sync;

import com.google.protobuf.ByteString;
import io.failback.certs.EncryptionCertificates;
import io.failback.certs.Identities;
import io.failback.common.crypto.JobKey;
import io.failback.common.crypto.KeyCheck;
import io.failback.common.crypto.KeyWrapper;
import io.failback.proto.v1.EncryptionCertificate;
import io.failback.proto.v1.PayloadEncryption;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;

/**
 * The payload encryption of one job: the raw job key the controller seals (or opens) with, and
 * the copy wrapped for the agent's encryption certificate that travels in the session
 * parameters. Pass it to {@link DiskSyncs#sync} for every disk session of the job.
 *
 * <p>The raw key lives in memory only; the controller never holds the agent's private key, so
 * after a controller restart a job needs a new one (each session carries its own wrapped key,
 * so sessions of one job may use different keys).
 */
public record JobEncryption(JobKey key, PayloadEncryption wire) {
  public JobEncryption {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(wire, "wire");
    if (!key.keyId().equals(wire.getKeyId())) {
      throw new IllegalArgumentException("key id " + key.keyId() + " differs from the wrapped"
          + " key's " + wire.getKeyId());
    }
  }

  /**
   * A fresh AES-256 key for job {@code jobId}, wrapped for a certificate an agent reported in
   * its inventory.
   *
   * @param reported an entry of {@code HostInventory.encryption_certificates} of the host that
   *     will apply (or send) the payloads
   * @param now the controller's clock: an expired certificate is refused
   * @throws IllegalArgumentException saying what is wrong with the certificate: no DER,
   *     malformed, thumbprint not its own, expired, not an RSA-3072 keyEncipherment certificate
   */
  public static JobEncryption forCertificate(EncryptionCertificate reported, String jobId,
      Instant now) {
    X509Certificate cert = checkUsable(reported, now);
    JobKey key = JobKey.generate(jobId);
    try {
      return new JobEncryption(key, PayloadEncryption.newBuilder()
          .setCertificateThumbprint(reported.getThumbprint()).setKeyId(jobId)
          .setWrappedKey(ByteString.copyFrom(KeyWrapper.wrap(key, cert.getPublicKey())))
          .setKeyCheck(ByteString.copyFrom(KeyCheck.of(key))).build());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot wrap a key for certificate "
          + reported.getThumbprint() + ": " + e.getMessage(), e);
    }
  }

  /** The certificate in the entry, checked to be the one its thumbprint names. */
  /**
   * Checks, without making a key, that a key could be wrapped for {@code reported} now.
   *
   * @return the parsed certificate
   * @throws IllegalArgumentException as {@link #forCertificate} does
   */
  public static X509Certificate checkUsable(EncryptionCertificate reported, Instant now) {
    X509Certificate cert = parse(reported);
    EncryptionCertificates.checkUsable(cert, now);
    return cert;
  }

  private static X509Certificate parse(EncryptionCertificate reported) {
    if (reported.getCertificateDer().isEmpty()) {
      throw new IllegalArgumentException("the agent reported encryption certificate "
          + reported.getThumbprint() + " without its DER bytes; upgrade the agent");
    }
    X509Certificate cert;
    try {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
          new ByteArrayInputStream(reported.getCertificateDer().toByteArray()));
    } catch (CertificateException | ClassCastException e) {
      throw new IllegalArgumentException("encryption certificate " + reported.getThumbprint()
          + " is malformed: " + e.getMessage(), e);
    }
    // The operator selects by thumbprint: the key must be wrapped for exactly that certificate.
    if (!Identities.thumbprint(cert).equalsIgnoreCase(reported.getThumbprint())) {
      throw new IllegalArgumentException("encryption certificate reported as "
          + reported.getThumbprint() + " has thumbprint " + Identities.thumbprint(cert));
    }
    return cert;
  }
}
