package io.failback.agent.encryption;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Timestamps;
import io.failback.certs.EncryptionCertificates;
import io.failback.certs.Identities;
import io.failback.certs.Pem;
import io.failback.proto.v1.EncryptionCertificate;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encryption certificates whose private keys this agent holds: pairs of {@code NAME.pem}
 * and {@code NAME.key} in one directory, as {@code failback-pki encryption-cert} writes them.
 *
 * <p>The directory is read on every use, so a certificate made while the agent runs is
 * reported at its next registration. A certificate without its key, or with a key that is not
 * its own, is skipped with a warning: the controller must never wrap a job key for a
 * certificate this agent cannot open.
 */
public final class EncryptionCertificateStore {
  private static final Logger log = LoggerFactory.getLogger(EncryptionCertificateStore.class);

  private final Path dir;

  public EncryptionCertificateStore(Path dir) {
    this.dir = dir;
  }

  /** A certificate with its private key. */
  public record Held(String thumbprint, X509Certificate certificate, PrivateKey privateKey) {}

  /** Every usable pair in the directory; none when it does not exist. */
  public List<Held> load() throws IOException {
    List<Held> held = new ArrayList<>();
    try (DirectoryStream<Path> pems = Files.newDirectoryStream(dir, "*.pem")) {
      for (Path pem : pems) {
        pair(pem).ifPresent(held::add);
      }
    } catch (NoSuchFileException e) {
      return List.of();
    }
    return held;
  }

  /** The pair whose certificate has {@code thumbprint}, if this agent holds its key. */
  public Optional<Held> find(String thumbprint) throws IOException {
    return load().stream().filter(h -> h.thumbprint().equalsIgnoreCase(thumbprint)).findFirst();
  }

  /** What the inventory reports: one entry per usable pair, with the certificate's DER. */
  public List<EncryptionCertificate> inventory() throws IOException {
    List<EncryptionCertificate> reported = new ArrayList<>();
    for (Held h : load()) {
      try {
        reported.add(EncryptionCertificate.newBuilder().setThumbprint(h.thumbprint())
            .setSubject(h.certificate().getSubjectX500Principal().getName())
            .setNotAfter(Timestamps.fromMillis(h.certificate().getNotAfter().getTime()))
            .setCertificateDer(ByteString.copyFrom(h.certificate().getEncoded())).build());
      } catch (CertificateEncodingException e) {
        throw new IOException("cannot encode encryption certificate " + h.thumbprint(), e);
      }
    }
    return reported;
  }

  private Optional<Held> pair(Path pem) {
    String name = pem.getFileName().toString();
    Path key = pem.resolveSibling(name.substring(0, name.length() - ".pem".length()) + ".key");
    try {
      if (!Files.exists(key)) {
        log.warn("encryption certificate " + pem + " has no private key " + key
            + "; not reported");
        return Optional.empty();
      }
      X509Certificate cert = Pem.readCertificates(pem).get(0);
      PrivateKey privateKey = Pem.readPrivateKey(key);
      if (!EncryptionCertificates.matches(cert, privateKey)) {
        log.warn(key + " is not the private key of " + pem + "; not reported");
        return Optional.empty();
      }
      return Optional.of(new Held(Identities.thumbprint(cert), cert, privateKey));
    } catch (IOException | RuntimeException e) {
      log.warn("encryption certificate " + pem + " not usable: " + e.getMessage());
      return Optional.empty();
    }
  }
}
