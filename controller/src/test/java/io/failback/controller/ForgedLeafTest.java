package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.ForgedCertificates;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.ListHostsRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leaves signed by the Failback CA's key but not shaped like its leaves, over real Netty TLS:
 * what a CA key used by another tool, or a CA bug, would let through.
 */
class ForgedLeafTest {
  private static final String AGENTS = "spiffe://" + TestPki.TRUST_DOMAIN + "/agent/";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  ControllerFixture controller;

  @BeforeEach
  void startController() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir).start());
  }

  private ManagedChannel channel(TlsFiles identity) throws Exception {
    ManagedChannel channel = controller.channel(identity);
    cleanup.register(channel::shutdownNow);
    return channel;
  }

  private TlsFiles forged(String file, String uriSan, boolean ca) throws Exception {
    return ForgedCertificates.client(controller.pki, dir, file, uriSan, ca);
  }

  @Test
  void percentEncodedDotSegmentRegistersNoHost() throws Exception {
    Status status = connectAndRegister(channel(forged("dots", AGENTS + "%2e%2e", false)), "..");
    assertEquals(Status.Code.UNAUTHENTICATED, status.getCode());
    assertTrue(status.getDescription().contains("not in canonical form"), status.getDescription());
    assertEquals(0, controller.server.registry().hosts().size());
  }

  @Test
  void upperCaseSpellingOfARealHostIsRefused() throws Exception {
    Status status = connectAndRegister(channel(forged("upper", AGENTS + "HV-01", false)), "hv-01");
    assertEquals(Status.Code.UNAUTHENTICATED, status.getCode());
    assertEquals(0, controller.server.registry().hosts().size());
  }

  @Test
  void canonicalForgeryIsAdmittedSoTheRefusalsAboveAreAboutTheSpelling() throws Exception {
    ManagedChannel channel = channel(forged("plain", AGENTS + "hv-01", false));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> InventoryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .listHosts(ListHostsRequest.getDefaultInstance()));
    // Authenticated as an agent, so only the access policy stops it.
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
  }

  @Test
  void caTrueOperatorIsRefusedInTheHandshake() throws Exception {
    TlsFiles ca = forged("ca-operator", "spiffe://" + TestPki.TRUST_DOMAIN + "/operator/ops", true);
    ManagedChannel channel = channel(ca);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> InventoryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .listHosts(ListHostsRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
  }

  @Test
  void caTrueAgentRegistersNoHost() throws Exception {
    Status status = connectAndRegister(channel(forged("ca-agent", AGENTS + "hv-01", true)),
        "hv-01");
    assertEquals(Status.Code.UNAVAILABLE, status.getCode());
    assertEquals(0, controller.server.registry().hosts().size());
  }

  static Status connectAndRegister(ManagedChannel channel, String hostName) throws Exception {
    CompletableFuture<Status> ended = new CompletableFuture<>();
    StreamObserver<AgentMessage> requests = AgentServiceGrpc.newStub(channel)
        .connect(MutualTlsTest.observer(ended, new CompletableFuture<>()));
    requests.onNext(MutualTlsTest.register(hostName));
    return ended.get(10, TimeUnit.SECONDS);
  }
}
