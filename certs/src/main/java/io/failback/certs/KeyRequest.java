package io.failback.certs;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/** A key pair plus its certificate signing request, made on the host that will use the key. */
public final class KeyRequest {
  private static final int MAX_COMMON_NAME = 64;

  private final KeyPair keyPair;
  private final PKCS10CertificationRequest csr;

  private KeyRequest(KeyPair keyPair, PKCS10CertificationRequest csr) {
    this.keyPair = keyPair;
    this.csr = csr;
  }

  /**
   * Generates an EC P-256 key pair and a CSR signed with it.
   *
   * <p>The common name is informational only: the CA decides the identity it certifies.
   */
  public static KeyRequest generate(String commonName) {
    Objects.requireNonNull(commonName, "commonName");
    Names.check(
        !commonName.isBlank() && commonName.length() <= MAX_COMMON_NAME,
        "common name \"%s\" must be 1-%s characters",
        commonName,
        MAX_COMMON_NAME);
    KeyPair keyPair = newKeyPair();
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    try {
      PKCS10CertificationRequest csr =
          new JcaPKCS10CertificationRequestBuilder(subject, keyPair.getPublic())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate()));
      return new KeyRequest(keyPair, csr);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign a CSR with SHA256withECDSA", e);
    }
  }

  public KeyPair keyPair() {
    return keyPair;
  }

  public PKCS10CertificationRequest csr() {
    return csr;
  }

  /** Writes the private key as PKCS#8 PEM, mode 0600 where POSIX, replacing the file atomically. */
  public void writeKey(Path keyFile) throws IOException {
    SecureFiles.write(keyFile, Pem.encodePrivateKey(keyPair.getPrivate()), true, true);
  }

  /**
   * Writes (or replaces) {@code keyFile} and {@code certFile} with this key and the certificate
   * issued for it, so that a crash at any moment leaves a pair that matches, or none
   * ({@link KeyPairFiles}); a certificate for another key is refused.
   */
  public void writeWithCertificate(Path keyFile, Path certFile, String certPem) throws IOException {
    KeyPairFiles.replace(keyFile, keyPair.getPrivate(), certFile, certPem);
  }

  /** Writes the CSR as PEM ("CERTIFICATE REQUEST"). */
  public void writeCsr(Path csrFile) throws IOException {
    SecureFiles.write(csrFile, encodeCsr(csr), false, true);
  }

  /** Reads a PEM CSR; its signature is checked only when a CA signs it. */
  public static PKCS10CertificationRequest readCsr(Path csrFile) throws IOException {
    try (Reader reader = Files.newBufferedReader(csrFile, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      for (Object pem = parser.readObject(); pem != null; pem = parser.readObject()) {
        if (pem instanceof PKCS10CertificationRequest csr) {
          return csr;
        }
      }
    } catch (RuntimeException e) {
      // PEMParser reports malformed DER with unchecked exceptions.
      throw new IOException(csrFile + " holds a malformed certificate request", e);
    }
    throw new IOException(csrFile + " holds no PEM certificate request");
  }

  static byte[] encodeCsr(PKCS10CertificationRequest csr) {
    try {
      return Pem.encode(List.of(new PemObject("CERTIFICATE REQUEST", csr.getEncoded())));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a CSR", e);
    }
  }

  static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot generate EC P-256 keys", e);
    }
  }
}
