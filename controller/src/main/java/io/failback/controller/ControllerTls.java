package io.failback.controller;

import io.failback.certs.Pem;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.tls.ChainValidator;
import io.failback.common.tls.IdentityException;
import io.failback.common.tls.RevocationFile;
import io.failback.common.tls.TrustDomain;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The controller's side of mutual TLS: its certificate and trust, the CRL it enforces, and the
 * one validator that every handshake, every call and every open stream's re-check consults.
 */
final class ControllerTls {
  /** The CRL's file name beside the trust bundle, where the controller looks by default. */
  static final String DEFAULT_CRL = "crl.pem";

  private final TlsMaterial material;
  private final RevocationFile revocations;
  private final ChainValidator validator;
  private final String trustDomain;

  private ControllerTls(TlsMaterial material, RevocationFile revocations,
      ChainValidator validator, String trustDomain) {
    this.material = material;
    this.revocations = revocations;
    this.validator = validator;
    this.trustDomain = trustDomain;
  }

  /** Loads the files; a CRL that exists (or was named with --crl) must be enforceable. */
  static ControllerTls load(ControllerConfig config, Clock clock) throws IOException {
    // The handshake check needs the CRL, and the CRL is verified against the loaded trust:
    // the holder breaks the cycle, and is filled before the server takes a connection.
    ChainValidator[] validator = new ChainValidator[1];
    TlsMaterial material = TlsMaterial.load(config.tls(), false,
        chain -> validator[0].handshakeProblem(chain));
    Path crl = crlFile(config);
    RevocationFile revocations =
        RevocationFile.load(crl, config.crl() != null, material::trustAnchors, clock);
    validator[0] = new ChainValidator(material::trustAnchors, revocations::current);
    String trustDomain = config.trustDomain() != null ? config.trustDomain()
        : trustDomainOf(config);
    return new ControllerTls(material, revocations, validator[0], trustDomain);
  }

  /** {@code --crl}, or {@code crl.pem} beside the trust bundle (watched even while absent). */
  static Path crlFile(ControllerConfig config) {
    return config.crl() != null ? config.crl()
        : config.tls().trustBundle().resolveSibling(DEFAULT_CRL);
  }

  /** Re-reads certificate, key and trust first, then the CRL, which is verified against it. */
  void reloadIfChanged() {
    material.reloadIfChanged();
    revocations.reloadIfChanged();
  }

  TlsMaterial material() {
    return material;
  }

  RevocationFile revocations() {
    return revocations;
  }

  ChainValidator validator() {
    return validator;
  }

  String trustDomain() {
    return trustDomain;
  }

  private static String trustDomainOf(ControllerConfig config) throws IOException {
    try {
      return TrustDomain.of(Pem.readCertificates(config.tls().trustBundle()));
    } catch (IdentityException e) {
      throw new IOException(e.getMessage(), e);
    }
  }
}
