package io.failback.common.grpc;

import io.failback.certs.KeyPairFiles;
import io.failback.certs.Pem;
import io.failback.common.tls.ChainValidator;
import io.failback.common.tls.PeerCheck;
import io.failback.common.tls.TlsFiles;
import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's certificate, key and trust bundle, re-read from their files when they change.
 *
 * <p>Credentials built from it keep working across a rotation: the key and trust managers are
 * updated in place, so new handshakes see the new files while open connections carry on. Call
 * {@link #reloadIfChanged()} periodically (the processes do so on a schedule).
 */
public final class TlsMaterial {
  private static final Logger log = LoggerFactory.getLogger(TlsMaterial.class);

  private final TlsFiles files;
  private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
  private final AdvancedTlsX509TrustManager trustManager;
  private volatile X509Certificate[] chain;
  private volatile X509Certificate[] trustAnchors;
  private byte[] loadedFingerprint;

  private TlsMaterial(TlsFiles files, AdvancedTlsX509TrustManager trustManager) {
    this.files = files;
    this.trustManager = trustManager;
  }

  /**
   * Loads the files; fails with a message naming the file that is missing or unreadable.
   *
   * <p>Every handshake refuses a peer whose leaf claims to be a CA
   * ({@link ChainValidator#leafProblem}).
   *
   * @param verifyHostName whether peers must present the host name dialled (clients only)
   */
  public static TlsMaterial load(TlsFiles files, boolean verifyHostName) throws IOException {
    return load(files, verifyHostName, chain -> ChainValidator.leafProblem(chain.get(0)));
  }

  /**
   * Loads the files; every handshake also runs {@code check} once the chain validated.
   *
   * @param verifyHostName whether peers must present the host name dialled (clients only)
   */
  public static TlsMaterial load(TlsFiles files, boolean verifyHostName, PeerCheck check)
      throws IOException {
    AdvancedTlsX509TrustManager trust;
    try {
      trust = AdvancedTlsX509TrustManager.newBuilder()
          .setVerification(verifyHostName
              ? AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION
              : AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
          .setSslSocketAndEnginePeerVerifier(new CheckingPeerVerifier(check))
          .build();
    } catch (CertificateException e) {
      throw new IOException("cannot create a trust manager: " + e.getMessage(), e);
    }
    KeyPairFiles.finishInterrupted(files.privateKey(), files.certificate()).ifPresent(log::warn);
    TlsMaterial material = new TlsMaterial(files, trust);
    material.reload();
    return material;
  }

  /** Re-reads the files if any of them changed; keeps the old material if the new is broken. */
  public synchronized boolean reloadIfChanged() {
    try {
      if (Arrays.equals(fingerprint(), loadedFingerprint)) {
        return false;
      }
      reload();
      log.info("reloaded TLS material from " + files);
      return true;
    } catch (IOException e) {
      // A half-copied rotation must not take the process down; the next poll tries again.
      log.warn("TLS material not reloaded, keeping the current one: "
          + e.getMessage());
      return false;
    }
  }

  private synchronized void reload() throws IOException {
    byte[] fingerprint = fingerprint();
    List<X509Certificate> certs = read("certificate", files.certificate(),
        () -> Pem.readCertificates(files.certificate()));
    PrivateKey key = read("private key", files.privateKey(),
        () -> Pem.readPrivateKey(files.privateKey()));
    List<X509Certificate> anchors = read("trust bundle", files.trustBundle(),
        () -> Pem.readCertificates(files.trustBundle()));
    if (certs.isEmpty() || anchors.isEmpty()) {
      throw new IOException("no certificate found in "
          + (certs.isEmpty() ? files.certificate() : files.trustBundle()));
    }
    // A rotation copied by hand, key first, is seen half done by a poll in between.
    if (!KeyPairFiles.matches(key, certs.get(0).getPublicKey())) {
      throw new IOException("the private key " + files.privateKey()
          + " is not the key of the certificate " + files.certificate());
    }
    X509Certificate[] newChain = certs.toArray(X509Certificate[]::new);
    X509Certificate[] newAnchors = anchors.toArray(X509Certificate[]::new);
    try {
      trustManager.updateTrustCredentials(newAnchors);
    } catch (GeneralSecurityException e) {
      throw new IOException("trust bundle " + files.trustBundle() + " is unusable: "
          + e.getMessage(), e);
    }
    keyManager.updateIdentityCredentials(newChain, key);
    chain = newChain;
    trustAnchors = newAnchors;
    loadedFingerprint = fingerprint;
  }

  /** Credentials for a server that requires and verifies client certificates. */
  public ServerCredentials serverCredentials() {
    return serverCredentials(false);
  }

  /**
   * Credentials for a server that verifies client certificates; with {@code enrollment} a
   * caller may also connect without one (to enroll), and the authorization interceptor then
   * refuses it every service but enrollment.
   */
  public ServerCredentials serverCredentials(boolean enrollment) {
    return TlsServerCredentials.newBuilder()
        .keyManager(keyManager)
        .trustManager(trustManager)
        .clientAuth(enrollment ? TlsServerCredentials.ClientAuth.OPTIONAL
            : TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
  }

  /** Credentials for a client that presents this certificate. */
  public ChannelCredentials channelCredentials() {
    return TlsChannelCredentials.newBuilder()
        .keyManager(keyManager)
        .trustManager(trustManager)
        .build();
  }

  /** The certificate chain in use now, leaf first. */
  public X509Certificate[] chain() {
    return chain.clone();
  }

  /** The trust anchors in use now. */
  public X509Certificate[] trustAnchors() {
    return trustAnchors.clone();
  }

  public TlsFiles files() {
    return files;
  }

  private byte[] fingerprint() throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path file : List.of(files.certificate(), files.privateKey(), files.trustBundle())) {
        digest.update(read("file", file, () -> Files.readAllBytes(file)));
      }
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private interface Reader<T> {
    T read() throws IOException;
  }

  private static <T> T read(String what, Path file, Reader<T> reader) throws IOException {
    try {
      return reader.read();
    } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
      throw new IOException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
    }
  }
}
