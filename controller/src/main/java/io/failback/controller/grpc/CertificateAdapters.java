package io.failback.controller.grpc;

import com.google.protobuf.util.Timestamps;
import io.failback.certs.Role;
import io.failback.common.grpc.AuthContext;
import io.failback.common.tls.PeerIdentity;
import io.failback.controller.certificates.Enrollment;
import io.failback.proto.v1.CertificateServiceGrpc;
import io.failback.proto.v1.CreateEnrollmentTokenRequest;
import io.failback.proto.v1.CreateEnrollmentTokenResponse;
import io.failback.proto.v1.EnrollRequest;
import io.failback.proto.v1.EnrollResponse;
import io.failback.proto.v1.EnrollmentServiceGrpc;
import io.failback.proto.v1.RenewCertificateRequest;
import io.failback.proto.v1.RenewCertificateResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509Certificate;
import java.util.List;

/** gRPC adapters for {@code EnrollmentService} (no client certificate) and CertificateService. */
public final class CertificateAdapters {
  private CertificateAdapters() {}

  /** Enroll: the caller has no certificate yet; the token authenticates it. */
  public static final class EnrollmentAdapter
      extends EnrollmentServiceGrpc.EnrollmentServiceImplBase {
    private final Enrollment enrollment;

    public EnrollmentAdapter(Enrollment enrollment) {
      this.enrollment = enrollment;
    }

    @Override
    public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> responses) {
      Answers.answer(responses, () -> {
        Enrollment.Issued issued = enrollment.enroll(request.getToken(),
            request.getCsrDer().toByteArray(), AuthContext.remoteAddress());
        return EnrollResponse.newBuilder().setHostName(issued.host())
            .setCertificatePem(pem(List.of(issued.certificate())))
            .setCaBundlePem(pem(issued.trust())).build();
      });
    }
  }

  /** CreateEnrollmentToken (operators) and RenewCertificate (the caller's own identity). */
  public static final class CertificateAdapter
      extends CertificateServiceGrpc.CertificateServiceImplBase {
    private final Enrollment enrollment;

    public CertificateAdapter(Enrollment enrollment) {
      this.enrollment = enrollment;
    }

    @Override
    public void createEnrollmentToken(CreateEnrollmentTokenRequest request,
        StreamObserver<CreateEnrollmentTokenResponse> responses) {
      Answers.answer(responses, () -> {
        if (AuthContext.peer().role() != Role.OPERATOR) {
          throw Status.PERMISSION_DENIED.withDescription("only operators create enrollment"
              + " tokens").asException();
        }
        com.google.protobuf.Duration wire = request.getTtl();
        if (wire.getSeconds() < 0 || wire.getSeconds() > 7 * 24 * 3600 || wire.getNanos() < 0
            || wire.getNanos() >= 1_000_000_000) {
          throw Status.INVALID_ARGUMENT.withDescription("ttl must be between 0 (the default,"
              + " 1 h) and 7 days").asException();
        }
        java.time.Duration ttl = java.time.Duration.ofSeconds(wire.getSeconds(),
            wire.getNanos());
        Enrollment.Token token = enrollment.createToken(request.getHostName(), ttl,
            HostServiceAdapter.actor());
        return CreateEnrollmentTokenResponse.newBuilder().setToken(token.token())
            .setHostName(token.host())
            .setExpiresAt(Timestamps.fromMillis(token.expiresAt().toEpochMilli())).build();
      });
    }

    @Override
    public void renewCertificate(RenewCertificateRequest request,
        StreamObserver<RenewCertificateResponse> responses) {
      Answers.answer(responses, () -> {
        PeerIdentity peer = AuthContext.peer();
        if (peer.role() != Role.AGENT && peer.role() != Role.OPERATOR) {
          throw Status.PERMISSION_DENIED.withDescription("only agents and operators renew"
              + " here").asException();
        }
        Enrollment.Issued issued = enrollment.renew(peer.role(), peer.name(),
            request.getCsrDer().toByteArray(), HostServiceAdapter.actor());
        return RenewCertificateResponse.newBuilder()
            .setCertificatePem(pem(List.of(issued.certificate())))
            .setCaBundlePem(pem(issued.trust())).build();
      });
    }
  }

  private static String pem(List<X509Certificate> certificates) {
    return io.failback.certs.Pem.certificatesText(certificates);
  }
}
