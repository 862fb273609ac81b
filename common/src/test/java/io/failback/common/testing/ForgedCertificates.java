package io.failback.common.testing;

import io.failback.certs.Crl;
import io.failback.certs.KeyRequest;
import io.failback.certs.Pem;
import io.failback.common.tls.TlsFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Client certificates signed with a test CA's key but not shaped by the Failback CA code (what a
 * stolen CA key, another tool pointed at the CA, or a CA bug would produce), and CRLs that
 * claim to be the CA's but are not.
 */
public final class ForgedCertificates {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ForgedCertificates() {}

  /**
   * A clientAuth certificate for {@code uriSan} written to {@code dir/<file>.pem} and
   * {@code .key}.
   *
   * @param ca whether it claims {@code CA:TRUE} (with keyCertSign) instead of {@code CA:FALSE}
   */
  public static TlsFiles client(TestPki pki, Path dir, String file, String uriSan, boolean ca)
      throws Exception {
    X509Certificate caCert = Pem.readCertificates(pki.caCertificate()).get(0);
    PrivateKey caKey = Pem.readPrivateKey(pki.caDirectory().resolve("ca.key"));
    KeyRequest request = KeyRequest.generate(file);
    SubjectPublicKeyInfo key = request.csr().getSubjectPublicKeyInfo();
    Instant now = Instant.now();
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
        new JcaX509CertificateHolder(caCert).getSubject(), new BigInteger(126, RANDOM),
        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(1))),
        new X500Name("CN=" + file), key);
    JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
    builder.addExtension(Extension.basicConstraints, true,
        ca ? new BasicConstraints(0) : new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca
        ? KeyUsage.digitalSignature | KeyUsage.keyCertSign : KeyUsage.digitalSignature));
    builder.addExtension(Extension.extendedKeyUsage, false,
        new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    builder.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uriSan)));
    builder.addExtension(Extension.authorityKeyIdentifier, false,
        utils.createAuthorityKeyIdentifier(caCert.getPublicKey()));
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
    Path certFile = dir.resolve(file + ".pem");
    Path keyFile = dir.resolve(file + ".key");
    request.writeKey(keyFile);
    Pem.writeCertificates(certFile, List.of(cert));
    return new TlsFiles(certFile, keyFile, pki.caCertificate());
  }

  /**
   * A CRL that names the test CA as its issuer, with a CRL number above any real one and no
   * entries, signed by a key that is not the CA's: what someone who can write the CRL file but
   * does not hold the CA key would try, to un-revoke a certificate.
   */
  public static Crl unrevokingCrl(TestPki pki) throws Exception {
    X509Certificate caCert = Pem.readCertificates(pki.caCertificate()).get(0);
    Instant now = Instant.now();
    X509v2CRLBuilder builder = new X509v2CRLBuilder(
        new JcaX509CertificateHolder(caCert).getSubject(), Date.from(now));
    builder.setNextUpdate(Date.from(now.plus(Duration.ofDays(30))));
    builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(1000)));
    PrivateKey otherKey = KeyRequest.generate("not-the-ca").keyPair().getPrivate();
    return Crl.of(new JcaX509CRLConverter().getCRL(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(otherKey))));
  }

  /** Only for callers that need the parsed certificate. */
  public static X509Certificate read(TlsFiles files) throws IOException {
    return Pem.readCertificates(files.certificate()).get(0);
  }
}
