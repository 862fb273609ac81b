package io.failback.common.grpc;

import io.failback.common.tls.PeerCheck;
import io.grpc.util.AdvancedTlsX509TrustManager.SslSocketAndEnginePeerVerifier;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import javax.net.ssl.SSLEngine;

/**
 * Runs a {@link PeerCheck} in the handshake, after the trust manager validated the chain.
 *
 * <p>A refusal fails the handshake, so the peer never gets a connection to open calls on; the
 * reason is logged here because the peer only sees a TLS alert.
 */
final class CheckingPeerVerifier implements SslSocketAndEnginePeerVerifier {
  private static final Logger log = LoggerFactory.getLogger(CheckingPeerVerifier.class);

  private final PeerCheck check;

  CheckingPeerVerifier(PeerCheck check) {
    this.check = check;
  }

  @Override
  public void verifyPeerCertificate(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void verifyPeerCertificate(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain);
  }

  private void verify(X509Certificate[] chain) throws CertificateException {
    String problem = check.problemWith(List.of(chain));
    if (problem != null) {
      log.warn("TLS handshake refused: " + problem);
      throw new CertificateException(problem);
    }
  }
}
