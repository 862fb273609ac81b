package io.failback.certs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRLException;
import java.security.cert.CRLReason;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.util.io.pem.PemObject;

/** A parsed X.509 CRL, as {@code failback-pki} writes them: PEM, numbered, with a next update. */
public final class Crl {
  static final String PEM_TYPE = "X509 CRL";

  private final X509CRL crl;
  private final BigInteger number;

  private Crl(X509CRL crl, BigInteger number) {
    this.crl = crl;
    this.number = number;
  }

  /** Wraps a CRL; one without a CRL number counts as number 0. Throws if it is malformed. */
  public static Crl of(X509CRL crl) {
    byte[] value = crl.getExtensionValue(Extension.cRLNumber.getId());
    try {
      return new Crl(crl, value == null ? BigInteger.ZERO
          : CRLNumber.getInstance(JcaX509ExtensionUtils.parseExtensionValue(value))
              .getCRLNumber());
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("the CRL's number is malformed", e);
    }
  }

  /** Reads every CRL in a PEM file (several when CAs are trusted side by side). */
  public static List<Crl> read(Path file) throws IOException {
    return parse(Files.readAllBytes(file), file.toString());
  }

  /** Parses every CRL in PEM text; {@code source} names it in messages. */
  public static List<Crl> parse(byte[] pemText, String source) throws IOException {
    List<Crl> crls = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new InputStreamReader(
        new ByteArrayInputStream(pemText), StandardCharsets.US_ASCII))) {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (PemObject pem = parser.readPemObject(); pem != null; pem = parser.readPemObject()) {
        if (pem.getType().equals(PEM_TYPE)) {
          crls.add(of((X509CRL) factory.generateCRL(new ByteArrayInputStream(pem.getContent()))));
        }
      }
    } catch (GeneralSecurityException | IOException | IllegalArgumentException
        | IllegalStateException e) {
      throw new IOException(source + " holds a malformed CRL: " + e.getMessage(), e);
    }
    if (crls.isEmpty()) {
      throw new IOException(source + " holds no PEM CRL (-----BEGIN X509 CRL-----)");
    }
    return crls;
  }

  /** Writes CRLs as PEM, replacing {@code file} atomically. */
  public static void write(Path file, List<Crl> crls) throws IOException {
    List<PemObject> pems = new ArrayList<>();
    for (Crl crl : crls) {
      pems.add(new PemObject(PEM_TYPE, crl.encoded()));
    }
    SecureFiles.write(file, Pem.encode(pems), false, true);
  }

  /** Whether {@code ca} issued this CRL: same name, and its key verifies the signature. */
  public boolean issuedBy(X509Certificate ca) {
    if (!crl.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      return false;
    }
    try {
      crl.verify(ca.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** The entry for {@code serial}, if this CRL revokes it. */
  public Optional<RevokedCertificate> find(BigInteger serial) {
    X509CRLEntry entry = crl.getRevokedCertificate(serial);
    return entry == null ? Optional.empty() : Optional.of(toRevoked(entry));
  }

  /** Every entry, oldest revocation first. */
  public List<RevokedCertificate> entries() {
    if (crl.getRevokedCertificates() == null) {
      return List.of();
    }
    return crl.getRevokedCertificates().stream().map(Crl::toRevoked)
        .sorted(Comparator.comparing(RevokedCertificate::revokedAt)
            .thenComparing(RevokedCertificate::serial))
        .toList();
  }

  public X500Principal issuer() {
    return crl.getIssuerX500Principal();
  }

  /** The CRL number; a CA's later CRL always has a higher one. */
  public BigInteger number() {
    return number;
  }

  public Instant thisUpdate() {
    return crl.getThisUpdate().toInstant();
  }

  /** When the issuer promised the next CRL; empty if the CRL does not say. */
  public Optional<Instant> nextUpdate() {
    return Optional.ofNullable(crl.getNextUpdate()).map(java.util.Date::toInstant);
  }

  public X509CRL x509() {
    return crl;
  }

  /** The DER encoding, which identifies this CRL exactly. */
  public byte[] encoded() {
    try {
      return crl.getEncoded();
    } catch (CRLException e) {
      throw new IllegalStateException("cannot encode a parsed CRL", e);
    }
  }

  private static RevokedCertificate toRevoked(X509CRLEntry entry) {
    CRLReason reason = entry.getRevocationReason();
    return new RevokedCertificate(entry.getSerialNumber(),
        entry.getRevocationDate().toInstant(), reason == null ? CRLReason.UNSPECIFIED : reason);
  }
}
