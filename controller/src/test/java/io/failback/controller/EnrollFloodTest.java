package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.certs.KeyRequest;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.CertificateServiceGrpc;
import io.failback.proto.v1.CreateEnrollmentTokenRequest;
import io.failback.proto.v1.EnrollRequest;
import io.failback.proto.v1.EnrollmentServiceGrpc;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Someone without a certificate trying enrollment tokens, over real TLS: Enroll is the one
 * call that needs none, and each try cost a lookup in the store. After ten refused tries an
 * address is refused before its token is looked at, even a good token; the hosts an operator
 * enrolls from another address are not held back.
 */
class EnrollFloodTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void anAddressGuessingTokensIsRefusedAfterTenRefusals() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir));
    controller.server = ControllerServer.start(controller.config(0).withIssuing(
        new ControllerConfig.Issuing(controller.pki.caDirectory(), Duration.ofDays(7))),
        controller.clock);
    ManagedChannel anonymous = Grpc.newChannelBuilder(controller.target(),
        TlsChannelCredentials.newBuilder().trustManager(controller.pki.caCertificate().toFile())
            .build()).build();
    cleanup.register(anonymous::shutdownNow);
    ByteString csr = ByteString.copyFrom(KeyRequest.generate("hv-20").csr().getEncoded());
    EnrollmentServiceGrpc.EnrollmentServiceBlockingStub scanner =
        EnrollmentServiceGrpc.newBlockingStub(anonymous);
    for (int i = 0; i < 10; i++) {
      EnrollRequest guess = EnrollRequest.newBuilder().setToken("fbe_guess" + i)
          .setCsrDer(csr).build();
      assertEquals(Status.Code.PERMISSION_DENIED, assertThrows(StatusRuntimeException.class,
          () -> scanner.enroll(guess)).getStatus().getCode());
    }
    String good = CertificateServiceGrpc.newBlockingStub(controller.channel(controller.pki
        .operator("ops"))).createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder()
        .setHostName("hv-20").build()).getToken();
    StatusRuntimeException paced = assertThrows(StatusRuntimeException.class,
        () -> scanner.enroll(EnrollRequest.newBuilder().setToken(good).setCsrDer(csr).build()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, paced.getStatus().getCode());
    assertTrue(paced.getStatus().getDescription().startsWith("more than 10 refused enrollments"
        + " from 127.0.0.1 at once"), paced.getStatus().getDescription());
  }
}
