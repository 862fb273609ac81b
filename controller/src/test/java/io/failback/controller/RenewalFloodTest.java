package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.certs.KeyRequest;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.CertificateServiceGrpc;
import io.failback.proto.v1.CertificateServiceGrpc.CertificateServiceBlockingStub;
import io.failback.proto.v1.HostServiceGrpc;
import io.failback.proto.v1.ListAuditEventsRequest;
import io.failback.proto.v1.RenewCertificateRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host renewing its certificate in a loop, over real mutual TLS: every renewal
 * cost a CA signature and an audit row that stays, so the loop grew the controller's database
 * without end. Its renewals beyond a burst are refused; another host's and an operator's are
 * not.
 */
class RenewalFloodTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private ControllerFixture controller;

  private CertificateServiceBlockingStub certificates(String host) throws Exception {
    return CertificateServiceGrpc.newBlockingStub(controller.channel(
        controller.pki.agent(host)));
  }

  private int renewals(String target) throws Exception {
    return (int) HostServiceGrpc.newBlockingStub(controller.channel(controller.pki
        .operator("ops"))).listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setTarget(target).build()).getEventsList().stream()
        .filter(e -> e.getAction().equals("certificate.renew")).count();
  }

  @Test
  void aHostRenewingInALoopIsRefusedAfterItsBurstAndNothingMoreIsIssued() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir));
    controller.server = ControllerServer.start(controller.config(0).withIssuing(
        new ControllerConfig.Issuing(controller.pki.caDirectory(), Duration.ofDays(7))),
        controller.clock);
    RenewCertificateRequest request = RenewCertificateRequest.newBuilder().setCsrDer(
        ByteString.copyFrom(KeyRequest.generate("rogue").csr().getEncoded())).build();
    CertificateServiceBlockingStub rogue = certificates("hv-66");
    int issued = 0;
    StatusRuntimeException refused = null;
    for (int i = 0; i < 200 && refused == null; i++) {
      try {
        rogue.renewCertificate(request);
        issued++;
      } catch (StatusRuntimeException e) {
        refused = e;
      }
    }
    assertTrue(refused != null, "200 renewals in a row were all signed");
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("host/hv-66 renewed its"
        + " certificate more than 10 times"), refused.getStatus().getDescription());
    assertEquals(10, issued);
    // Refused before anything is signed or recorded; later calls are refused alike.
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, assertThrows(StatusRuntimeException.class,
        () -> rogue.renewCertificate(request)).getStatus().getCode());
    assertEquals(10, renewals("host/hv-66"));

    // The pace is the caller's own: a host and an operator beside it renew as ever.
    assertTrue(certificates("hv-01").renewCertificate(request).getCertificatePem()
        .startsWith("-----BEGIN CERTIFICATE-----"));
    CertificateServiceGrpc.newBlockingStub(controller.channel(controller.pki.operator("ops")))
        .renewCertificate(request);
    assertEquals(1, renewals("host/hv-01"));
    assertEquals(1, renewals("operator/ops"));
  }
}
