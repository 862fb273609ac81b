package io.failback.certs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * A private key file and its certificate file, replaced as a pair (a renewal).
 *
 * <p>Each file is replaced atomically, but two files cannot be: a process killed between the
 * two renames would restart with a key its certificate does not match, and a host whose agent
 * cannot prove its identity needs an operator to enroll it again. So the new pair is first
 * written beside the old one ({@code FILE.next}, certificate first), then the key and the
 * certificate are renamed over the old ones. {@link #finishInterrupted} completes or discards
 * what a crash left, so that the key and the certificate always match.
 */
public final class KeyPairFiles {
  static final String NEXT = ".next";
  private static final byte[] CHALLENGE =
      "failback-key-check".getBytes(StandardCharsets.US_ASCII);

  private KeyPairFiles() {}

  /**
   * Replaces {@code keyFile} and {@code certFile} with {@code key} and the certificate chain in
   * {@code certPem}; refuses (and changes nothing) when the chain's leaf is not for that key.
   */
  public static void replace(Path keyFile, PrivateKey key, Path certFile, String certPem)
      throws IOException {
    byte[] certBytes = certPem.getBytes(StandardCharsets.US_ASCII);
    Path certNext = next(certFile);
    Path keyNext = next(keyFile);
    SecureFiles.write(certNext, certBytes, false, true);
    X509Certificate leaf = leaf(certNext);
    if (!matches(key, leaf.getPublicKey())) {
      Files.deleteIfExists(certNext);
      throw new IOException("the certificate received (" + leaf.getSubjectX500Principal()
          + ") is not for the key made here; the key and certificate in use are kept");
    }
    SecureFiles.write(keyNext, Pem.encodePrivateKey(key), true, true);
    SecureFiles.rename(keyNext, keyFile);
    SecureFiles.rename(certNext, certFile);
  }

  /**
   * Completes a replacement a crash interrupted, or discards it: afterwards the key file and the
   * certificate file hold a pair that matches (the new one when its key had been written).
   *
   * @return what was done, for the log; empty when no replacement was pending
   */
  public static Optional<String> finishInterrupted(Path keyFile, Path certFile)
      throws IOException {
    Path certNext = next(certFile);
    Path keyNext = next(keyFile);
    if (!Files.exists(certNext)) {
      // The key is renamed before the certificate, so a key left alone is one never used.
      return Files.deleteIfExists(keyNext)
          ? Optional.of("removed " + keyNext + ", left by a renewal that did not finish")
          : Optional.empty();
    }
    X509Certificate leaf;
    try {
      leaf = leaf(certNext);
    } catch (IOException e) {
      Files.deleteIfExists(keyNext);
      Files.deleteIfExists(certNext);
      return Optional.of("discarded an unreadable " + certNext + " of a renewal that did not "
          + "finish (" + e.getMessage() + "); the previous pair is kept");
    }
    if (Files.exists(keyNext)) {
      if (matches(Pem.readPrivateKey(keyNext), leaf.getPublicKey())) {
        SecureFiles.rename(keyNext, keyFile);
      } else {
        Files.delete(keyNext);
      }
    }
    if (matches(Pem.readPrivateKey(keyFile), leaf.getPublicKey())) {
      SecureFiles.rename(certNext, certFile);
      return Optional.of("completed a renewal a stop interrupted: " + certFile
          + " now holds the certificate for the new key in " + keyFile);
    }
    Files.delete(certNext);
    return Optional.of("discarded the certificate of a renewal that stopped before its key was "
        + "written; " + keyFile + " and " + certFile + " keep the previous pair");
  }

  /** Whether {@code key} is the private half of {@code publicKey} (EC or RSA). */
  public static boolean matches(PrivateKey key, PublicKey publicKey) throws IOException {
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(CHALLENGE);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(CHALLENGE);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot check a " + key.getAlgorithm() + " key against its "
          + "certificate: " + e.getMessage(), e);
    }
  }

  static Path next(Path file) {
    return file.resolveSibling(file.getFileName() + NEXT);
  }

  private static X509Certificate leaf(Path certFile) throws IOException {
    try {
      return Pem.readCertificates(certFile).get(0);
    } catch (RuntimeException e) {
      // PEMParser reports malformed base64 with unchecked exceptions.
      throw new IOException(certFile + " is not PEM: " + e.getMessage(), e);
    }
  }
}
