package io.failback.certs;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Builds the CA certificate and leaf certificates with Failback's fixed extension layout. */
final class CertificateBuilder {
  private static final SecureRandom RANDOM = new SecureRandom();
  // A new CA gets a new subject, so old and new CA can be trusted side by side while rotating.
  private static final DateTimeFormatter CA_NAME_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private CertificateBuilder() {}

  /** A self-signed CA: pathLen 0, keyCertSign and cRLSign, trust domain as URI SAN. */
  static X509Certificate selfSignedCa(
      String trustDomain, KeyPair keys, Instant notBefore, Instant notAfter) {
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, trustDomain)
            .addRDN(BCStyle.CN, "Failback CA " + CA_NAME_TIME.format(notBefore))
            .build();
    SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
    X509v3CertificateBuilder builder = selfSigned(subject, key, notBefore, notAfter);
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key));
      // load() recovers the trust domain from this SAN, so it is recorded in the CA itself.
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName(
                  GeneralName.uniformResourceIdentifier, Identities.SCHEME + trustDomain)));
      return sign(builder, keys.getPrivate());
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build the CA certificate", e);
    }
  }

  /**
   * A self-signed encryption certificate: keyEncipherment only, no SANs and no extended key
   * usage, so it names no identity any Failback peer would accept over TLS.
   */
  static X509Certificate selfSignedEncryption(
      String hostName, KeyPair keys, Instant notBefore, Instant notAfter) {
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Failback")
            .addRDN(BCStyle.OU, EncryptionCertificates.ORGANIZATIONAL_UNIT)
            .addRDN(BCStyle.CN, hostName)
            .build();
    SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
    X509v3CertificateBuilder builder = selfSigned(subject, key, notBefore, notAfter);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyEncipherment));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key));
      return sign(builder, keys.getPrivate());
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build an encryption certificate", e);
    }
  }

  /** A leaf: one SPIFFE URI SAN, digitalSignature, exactly one extended key usage. */
  static X509Certificate leaf(
      X509Certificate ca,
      PrivateKey caKey,
      String trustDomain,
      LeafIdentity identity,
      SubjectPublicKeyInfo key,
      Instant notBefore,
      Instant notAfter) {
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, trustDomain)
            .addRDN(BCStyle.OU, identity.role().pathSegment())
            .addRDN(BCStyle.CN, identity.name())
            .build();
    try {
      X500Name issuer = new JcaX509CertificateHolder(ca).getSubject();
      X509v3CertificateBuilder builder =
          new X509v3CertificateBuilder(
              issuer, serial(), Date.from(notBefore), Date.from(notAfter), subject, key);
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(identity.keyPurpose()));
      builder.addExtension(
          Extension.subjectAlternativeName, false, new GeneralNames(altNames(identity)));
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key));
      // Key id only: issuer name and serial would tie leaves to one CA certificate, not its key.
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          utils.createAuthorityKeyIdentifier(ca.getPublicKey()));
      return sign(builder, caKey);
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a certificate for " + identity.spiffeId(), e);
    }
  }

  private static X509v3CertificateBuilder selfSigned(
      X500Name subject, SubjectPublicKeyInfo key, Instant notBefore, Instant notAfter) {
    return new X509v3CertificateBuilder(
        subject, serial(), Date.from(notBefore), Date.from(notAfter), subject, key);
  }

  private static GeneralName[] altNames(LeafIdentity identity) {
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, identity.spiffeId()));
    for (String dns : identity.dnsNames()) {
      names.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (InetAddress ip : identity.ips()) {
      names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress())));
    }
    return names.toArray(new GeneralName[0]);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign with " + algorithm, e);
    }
  }

  /** A positive 127-bit random serial; the set top bit keeps its encoding a fixed length. */
  private static BigInteger serial() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    bytes[0] = (byte) ((bytes[0] & 0x7f) | 0x40);
    return new BigInteger(1, bytes);
  }
}
