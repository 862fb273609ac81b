package io.failback.agent.grpc;

import com.google.protobuf.ByteString;
import io.failback.certs.KeyRequest;
import io.failback.common.grpc.TlsMaterial;
import io.failback.proto.v1.CertificateServiceGrpc;
import io.failback.proto.v1.RenewCertificateRequest;
import io.failback.proto.v1.RenewCertificateResponse;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the agent's certificate over its authenticated channel once two thirds of its life
 * have passed: a new key made here, a CSR, the answer written over the old files (key first;
 * the TLS reload takes the pair once both are in place). A controller that does not issue is
 * asked again an hour later, not at every check.
 */
public final class CertificateRenewer {
  private static final Logger log = LoggerFactory.getLogger(CertificateRenewer.class);
  private static final Duration RETRY_AFTER_REFUSAL = Duration.ofHours(1);

  private final TlsMaterial tls;
  private final Channel channel;
  private final Clock clock;
  private Instant nextAttempt = Instant.MIN;

  public CertificateRenewer(TlsMaterial tls, Channel channel, Clock clock) {
    this.tls = tls;
    this.channel = channel;
    this.clock = clock;
  }

  /** When the certificate in use is due for renewal: at two thirds of its validity. */
  public static Instant dueAt(X509Certificate certificate) {
    Instant from = certificate.getNotBefore().toInstant();
    Instant to = certificate.getNotAfter().toInstant();
    return from.plus(Duration.between(from, to).multipliedBy(2).dividedBy(3));
  }

  /**
   * Renews if due; returns whether new files were written (the caller then reloads the TLS
   * material and renews the channel).
   */
  public synchronized boolean renewIfDue() {
    X509Certificate current = tls.chain()[0];
    Instant now = clock.instant();
    if (now.isBefore(dueAt(current)) || now.isBefore(nextAttempt)) {
      return false;
    }
    KeyRequest request = KeyRequest.generate("failback-agent");
    try {
      RenewCertificateResponse response = CertificateServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(60, TimeUnit.SECONDS)
          .renewCertificate(RenewCertificateRequest.newBuilder()
              .setCsrDer(ByteString.copyFrom(request.csr().getEncoded())).build());
      request.writeWithCertificate(tls.files().privateKey(), tls.files().certificate(),
          response.getCertificatePem());
      log.info("certificate renewed (the old one was valid until "
          + current.getNotAfter().toInstant() + ")");
      return true;
    } catch (StatusRuntimeException e) {
      nextAttempt = now.plus(RETRY_AFTER_REFUSAL);
      log.warn("certificate renewal refused (" + e.getStatus().getCode() + ": "
          + e.getStatus().getDescription() + "); next attempt after " + nextAttempt
          + "; the certificate expires at " + current.getNotAfter().toInstant());
      return false;
    } catch (IOException e) {
      nextAttempt = now.plus(RETRY_AFTER_REFUSAL);
      log.warn("renewed certificate not installed: " + e.getMessage());
      return false;
    }
  }
}
