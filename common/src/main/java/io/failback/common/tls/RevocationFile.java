package io.failback.common.tls;

import io.failback.certs.Crl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CRL file a server enforces, re-read when the file or the trust anchors change.
 *
 * <p>Failure contract. At start a CRL file that exists must load, and one named explicitly must
 * exist: the operator is there to fix it. Afterwards the last good CRL stays in force whenever a
 * new file is unreadable, fails its signature, is from no trusted CA, is older than the CRL in
 * force (a replayed CRL would un-revoke), or is deleted: a broken copy can never let a revoked
 * certificate back in, nor lock every agent and operator out. A CRL past its next update stays
 * in force with a warning, because refusing everyone would stop a failback exactly when the CA
 * host (ideally offline) is out of reach, while the stale CRL still revokes all it lists.
 */
public final class RevocationFile {
  private static final Logger log = LoggerFactory.getLogger(RevocationFile.class);

  private final Path file;
  private final Supplier<X509Certificate[]> anchors;
  private final Clock clock;
  private final Set<String> warnedStale = new HashSet<>();
  private volatile Revocations current = Revocations.NONE;
  private byte[] loadedFingerprint;
  private boolean warnedMissing;

  private RevocationFile(Path file, Supplier<X509Certificate[]> anchors, Clock clock) {
    this.file = file;
    this.anchors = anchors;
    this.clock = clock;
  }

  /**
   * Loads {@code file}, or watches for it to appear.
   *
   * @param required whether the file must exist now (it was named explicitly)
   * @throws IOException saying what is wrong with a file that exists but cannot be enforced
   */
  public static RevocationFile load(Path file, boolean required,
      Supplier<X509Certificate[]> anchors, Clock clock) throws IOException {
    RevocationFile revocations = new RevocationFile(file, anchors, clock);
    if (!Files.exists(file)) {
      if (required) {
        throw new NoSuchFileException(file.toString(), null, "CRL file not found");
      }
      return revocations;
    }
    String problem = revocations.reload();
    if (problem != null) {
      throw new IOException("cannot enforce the CRL " + file + ": " + problem);
    }
    return revocations;
  }

  /** The CRLs in force now. */
  public Revocations current() {
    return current;
  }

  public Path file() {
    return file;
  }

  /** Loads the file if it or the trust anchors changed; returns whether a new CRL is in force. */
  public synchronized boolean reloadIfChanged() {
    boolean loaded = false;
    if (!Files.exists(file)) {
      if (current != Revocations.NONE && !warnedMissing) {
        warnedMissing = true;
        log.warn("CRL file " + file + " is gone; still enforcing " + current.describe());
      }
    } else {
      warnedMissing = false;
      String problem = reload();
      loaded = problem == null;
      if (problem != null && !problem.isEmpty()) {
        log.warn("CRL " + file + " not loaded, still enforcing " + current.describe() + ": "
            + problem);
      }
    }
    warnIfStale();
    return loaded;
  }

  /** Returns null once loaded, "" when nothing changed, otherwise why it was refused. */
  private synchronized String reload() {
    List<X509Certificate> trusted = Arrays.asList(anchors.get());
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      return "cannot read it: " + e.getMessage();
    }
    byte[] fingerprint = fingerprint(bytes, trusted);
    if (Arrays.equals(fingerprint, loadedFingerprint)) {
      return "";
    }
    Revocations next;
    try {
      next = Revocations.verify(Crl.parse(bytes, file.toString()), trusted);
    } catch (IOException | IllegalArgumentException e) {
      return e.getMessage();
    }
    String rollback = current.rollbackProblem(next, trusted);
    if (rollback != null) {
      return rollback;
    }
    current = next;
    loadedFingerprint = fingerprint;
    log.info("enforcing " + next.describe() + " from " + file);
    warnIfStale();
    return null;
  }

  private synchronized void warnIfStale() {
    for (Crl crl : current.staleAt(clock.instant())) {
      if (warnedStale.add(crl.issuer().getName() + "#" + crl.number())) {
        log.warn("CRL number " + crl.number() + " of " + crl.issuer().getName()
            + " passed its next update at " + crl.nextUpdate().orElseThrow()
            + "; still enforcing it. Renew it on the CA host (failback-pki crl --ca-dir DIR"
            + " --renew) and copy it to " + file);
      }
    }
  }

  private static byte[] fingerprint(byte[] crl, List<X509Certificate> anchors) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(crl);
      for (X509Certificate anchor : anchors) {
        digest.update(anchor.getEncoded());
      }
      return digest.digest();
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot fingerprint the CRL and trust anchors", e);
    }
  }
}
