package io.failback.controller;

import static io.failback.controller.RevocationTest.listHostsStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.Crl;
import io.failback.common.testing.ForgedCertificates;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the controller does with a CRL it cannot trust or that is out of date, over real Netty
 * TLS: keep the last good one, keep enforcing an expired one, and refuse to start on a bad one.
 */
class CrlFailureTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  ControllerFixture controller;
  TlsFiles revoked;
  TlsFiles other;

  @BeforeEach
  void revokeOneOperator() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir));
    revoked = TestPki.copy(controller.pki.operator("ops"), dir.resolve("revoked"));
    other = controller.pki.operator("other");
    controller.pki.revoke(revoked);
  }

  private Status listHosts(TlsFiles identity) throws Exception {
    ManagedChannel channel = controller.channel(identity);
    cleanup.register(channel::shutdownNow);
    return listHostsStatus(channel);
  }

  private void assertOnlyTheRevokedOneRefused() throws Exception {
    assertEquals(Status.Code.UNAVAILABLE, listHosts(revoked).getCode());
    assertEquals(Status.Code.OK, listHosts(other).getCode());
  }

  @Test
  void crlThatFailsItsSignatureIsRefusedAndTheLastGoodOneKept() throws Exception {
    controller.start();
    assertOnlyTheRevokedOneRefused();

    Crl.write(controller.pki.crlFile(), List.of(ForgedCertificates.unrevokingCrl(controller.pki)));
    assertFalse(controller.server.revocations().reloadIfChanged());
    assertOnlyTheRevokedOneRefused();

    Files.delete(controller.pki.crlFile());
    assertFalse(controller.server.revocations().reloadIfChanged());
    assertOnlyTheRevokedOneRefused();
  }

  @Test
  void expiredCrlIsStillEnforcedAndRefusesNobodyElse() throws Exception {
    Instant now = Instant.now();
    controller.pki.renewCrl(now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
    controller.start();
    assertOnlyTheRevokedOneRefused();
  }

  @Test
  void crlThatCannotBeEnforcedStopsTheStart() throws Exception {
    Path crl = controller.pki.crlFile();
    Path elsewhere = Files.move(crl, dir.resolve("elsewhere.pem"));
    Files.writeString(crl, "half-copied");
    IOException e = assertThrows(IOException.class, controller::start);
    assertTrue(e.getMessage().contains(crl.toString()), e.getMessage());

    Files.delete(crl);
    ControllerConfig missing = controller.config(0).withCrl(dir.resolve("missing.pem"));
    assertThrows(NoSuchFileException.class,
        () -> ControllerServer.start(missing, controller.clock));

    // --crl names a file anywhere; crl.pem beside the CA is then not looked at.
    controller.server = ControllerServer.start(controller.config(0).withCrl(elsewhere),
        controller.clock);
    assertEquals(elsewhere, controller.server.revocations().file());
    assertOnlyTheRevokedOneRefused();
  }
}
