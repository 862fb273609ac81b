package io.failback.certs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/** Reads and writes PEM certificates and keys. */
public final class Pem {
  private Pem() {}

  /** Writes certificates, leaf first, replacing {@code file} atomically. */
  public static void writeCertificates(Path file, List<X509Certificate> certs) throws IOException {
    SecureFiles.write(file, encodeCertificates(certs), false, true);
  }

  /**
   * Writes a new private key (owner only), then its certificate; refuses to replace either.
   *
   * <p>Key first, so that a reader who finds the certificate finds its key; if the certificate
   * cannot be written the key is removed, as a key without its certificate would block the
   * next attempt.
   */
  static void writeNewPair(Path keyFile, PrivateKey key, Path certFile, X509Certificate cert)
      throws IOException {
    SecureFiles.write(keyFile, encodePrivateKey(key), true, false);
    try {
      SecureFiles.write(certFile, encodeCertificates(List.of(cert)), false, false);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(keyFile);
      throw e;
    }
  }

  /** Reads every certificate in a PEM file; other PEM blocks are skipped. */
  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    List<X509Certificate> certs = new ArrayList<>();
    try (PEMParser parser =
        new PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (PemObject pem = parser.readPemObject(); pem != null; pem = parser.readPemObject()) {
        if (pem.getType().equals("CERTIFICATE")) {
          ByteArrayInputStream der = new ByteArrayInputStream(pem.getContent());
          certs.add((X509Certificate) factory.generateCertificate(der));
        }
      }
    } catch (CertificateException e) {
      throw new IOException(file + " holds a malformed certificate: " + e.getMessage(), e);
    }
    if (certs.isEmpty()) {
      throw new IOException(file + " holds no PEM certificate");
    }
    return certs;
  }

  /** Reads an unencrypted private key in PKCS#8 ("PRIVATE KEY") or traditional PEM form. */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      for (Object pem = parser.readObject(); pem != null; pem = parser.readObject()) {
        if (pem instanceof PEMKeyPair pair) {
          return toPrivateKey(pair.getPrivateKeyInfo());
        }
        if (pem instanceof PrivateKeyInfo info) {
          return toPrivateKey(info);
        }
        if (pem instanceof PEMEncryptedKeyPair || pem instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw new IOException(file + " holds an encrypted private key; decrypt it first");
        }
      }
    } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
      throw new IOException(file + " holds an unsupported private key: " + e.getMessage(), e);
    }
    throw new IOException(file + " holds no PEM private key");
  }

  /** The certificates as PEM text, e.g. for a certificate an API call returns. */
  public static String certificatesText(List<X509Certificate> certs) {
    return new String(encodeCertificates(certs), StandardCharsets.US_ASCII);
  }

  /** Writes {@code key} as PKCS#8 PEM, mode 0600 where POSIX, replacing the file atomically. */
  public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
    SecureFiles.write(file, encodePrivateKey(key), true, true);
  }

  /** Writes PEM text received from the controller, replacing the file atomically. */
  public static void writeText(Path file, String pem) throws IOException {
    SecureFiles.write(file, pem.getBytes(StandardCharsets.US_ASCII), false, true);
  }

  static byte[] encodeCertificates(List<X509Certificate> certs) {
    Names.check(!certs.isEmpty(), "no certificates to write");
    List<PemObject> pems = new ArrayList<>();
    for (X509Certificate cert : certs) {
      try {
        pems.add(new PemObject("CERTIFICATE", cert.getEncoded()));
      } catch (CertificateEncodingException e) {
        throw new IllegalArgumentException(
            "cannot encode certificate " + cert.getSubjectX500Principal(), e);
      }
    }
    return encode(pems);
  }

  /** PKCS#8 "PRIVATE KEY", the form Netty and most TLS stacks read. */
  static byte[] encodePrivateKey(PrivateKey key) {
    return encode(List.of(new PemObject("PRIVATE KEY", key.getEncoded())));
  }

  static byte[] encode(List<PemObject> pems) {
    StringWriter text = new StringWriter();
    try (PemWriter writer = new PemWriter(text)) {
      for (PemObject pem : pems) {
        writer.writeObject(pem);
      }
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory failed", e);
    }
    return text.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static PrivateKey toPrivateKey(PrivateKeyInfo info)
      throws IOException, NoSuchAlgorithmException, InvalidKeySpecException {
    String oid = info.getPrivateKeyAlgorithm().getAlgorithm().getId();
    String algorithm;
    if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey.getId())) {
      algorithm = "EC";
    } else if (oid.equals(PKCSObjectIdentifiers.rsaEncryption.getId())) {
      algorithm = "RSA";
    } else {
      algorithm = oid;
    }
    // The JDK's own providers suffice; registering BouncyCastle globally would affect other code.
    return KeyFactory.getInstance(algorithm)
        .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
  }
}
