package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.grpc.TlsMaterial;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.MutableClock;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.ListHostsRequest;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotating the CA as certs/README.md describes it: the new CA is trusted beside the old one
 * (certificates of both work), then the old one is withdrawn (its certificates stop working),
 * all without a controller restart.
 */
class CaRotationTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private ControllerServer server;

  private void listHostsAs(TlsFiles identity) throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilder("localhost:" + server.port(),
        TlsMaterial.load(identity, true).channelCredentials()).build();
    try {
      InventoryServiceGrpc.newBlockingStub(channel).listHosts(
          ListHostsRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }

  private static void replace(Path from, Path to) throws Exception {
    Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void theNewCaIsTrustedBesideTheOldThenTheOldIsWithdrawn() throws Exception {
    TestPki oldCa = TestPki.create(dir.resolve("old"));
    TestPki newCa = TestPki.create(dir.resolve("new"));
    Path both = dir.resolve("both.pem");
    Files.writeString(both, Files.readString(oldCa.caCertificate())
        + Files.readString(newCa.caCertificate()));

    // Step 1: the controller keeps its old-CA certificate and trusts both CAs.
    Path files = Files.createDirectories(dir.resolve("controller"));
    TlsFiles controller = new TlsFiles(files.resolve("controller.pem"),
        files.resolve("controller.key"), files.resolve("ca.pem"));
    TlsFiles issuedOld = oldCa.controller();
    replace(issuedOld.certificate(), controller.certificate());
    replace(issuedOld.privateKey(), controller.privateKey());
    replace(both, controller.trustBundle());
    server = cleanup.register(ControllerServer.start(ControllerConfig.withDefaults(
        "127.0.0.1", 0, dir.resolve("state"), controller)
        .withPeriods(Duration.ofHours(1), Duration.ofMillis(100)), MutableClock.startingNow()));
    TlsFiles oldOperator = oldCa.operator("old-op");
    TlsFiles newOperator = newCa.operator("new-op");
    TlsFiles oldTrustingBoth = new TlsFiles(oldOperator.certificate(),
        oldOperator.privateKey(), both);
    TlsFiles newTrustingBoth = new TlsFiles(newOperator.certificate(),
        newOperator.privateKey(), both);
    listHostsAs(oldTrustingBoth);
    listHostsAs(newTrustingBoth);

    // Step 2: every certificate reissued from the new CA; the old CA withdrawn from trust.
    TlsFiles issuedNew = newCa.controller();
    replace(issuedNew.certificate(), controller.certificate());
    replace(issuedNew.privateKey(), controller.privateKey());
    replace(newCa.caCertificate(), controller.trustBundle());
    assertTrue(server.tls().reloadIfChanged());
    listHostsAs(newTrustingBoth);
    listHostsAs(new TlsFiles(newOperator.certificate(), newOperator.privateKey(),
        newCa.caCertificate()));
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> listHostsAs(oldTrustingBoth));
    assertNotEquals(Status.Code.OK, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getCode() == Status.Code.UNAVAILABLE
        || refused.getStatus().getCode() == Status.Code.UNAUTHENTICATED, refused.toString());
  }
}
