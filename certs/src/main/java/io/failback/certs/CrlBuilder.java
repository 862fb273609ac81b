package io.failback.certs;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Signs a complete (not delta) CRL with a CRL number and the CA's key identifier. */
final class CrlBuilder {
  private CrlBuilder() {}

  static Crl build(X509Certificate ca, PrivateKey caKey, BigInteger number,
      List<RevokedCertificate> entries, Instant thisUpdate, Instant nextUpdate) {
    try {
      X509v2CRLBuilder builder = new X509v2CRLBuilder(
          new JcaX509CertificateHolder(ca).getSubject(), Date.from(thisUpdate));
      builder.setNextUpdate(Date.from(nextUpdate));
      for (RevokedCertificate entry : entries) {
        // RFC 5280: an unspecified reason is left out rather than encoded.
        builder.addCRLEntry(entry.serial(), Date.from(entry.revokedAt()),
            entry.reason().ordinal());
      }
      builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.getPublicKey()));
      String algorithm =
          caKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      return Crl.of(new JcaX509CRLConverter().getCRL(
          builder.build(new JcaContentSignerBuilder(algorithm).build(caKey))));
    } catch (CertIOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot sign a CRL", e);
    }
  }
}
