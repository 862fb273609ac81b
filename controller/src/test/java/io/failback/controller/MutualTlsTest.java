package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.EncryptionCertificates;
import io.failback.certs.Role;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.ListHostsRequest;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.Register;
import io.failback.proto.v1.WriteToCloudVmRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Who gets in and who does not, over real Netty TLS on a localhost port. */
class MutualTlsTest {
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

  private static StatusRuntimeException listHostsFails(ManagedChannel channel) {
    return assertThrows(StatusRuntimeException.class, () -> InventoryServiceGrpc
        .newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .listHosts(ListHostsRequest.getDefaultInstance()));
  }

  @Test
  void operatorListsHosts() throws Exception {
    var response = InventoryServiceGrpc.newBlockingStub(channel(controller.pki.operator("ops")))
        .listHosts(ListHostsRequest.getDefaultInstance());
    assertEquals(0, response.getHostsCount());
  }

  @Test
  void noClientCertificateIsRefusedInTheHandshake() throws Exception {
    ManagedChannel channel = controller.channel(TlsChannelCredentials.newBuilder()
        .trustManager(controller.pki.caCertificate().toFile()).build());
    cleanup.register(channel::shutdownNow);
    assertEquals(Status.Code.UNAVAILABLE, listHostsFails(channel).getStatus().getCode());
  }

  @Test
  void certificateFromAnotherCaIsRefused() throws Exception {
    TestPki other = TestPki.create(dir.resolve("other-pki"));
    TlsFiles stranger = other.operator("ops");
    // Trust the real controller so that only the client side is wrong.
    TlsFiles mixed = new TlsFiles(stranger.certificate(), stranger.privateKey(),
        controller.pki.caCertificate());
    assertEquals(Status.Code.UNAVAILABLE, listHostsFails(channel(mixed)).getStatus().getCode());
  }

  @Test
  void encryptionCertificateCannotAuthenticate() throws Exception {
    EncryptionCertificates.Issued encryption = EncryptionCertificates.create("hv-01",
        Duration.ofDays(1), java.time.Clock.systemUTC());
    Path cert = encryption.write(dir.resolve("encryption"));
    TlsFiles files = new TlsFiles(cert, dir.resolve("encryption")
        .resolve(encryption.thumbprint() + ".key"), controller.pki.caCertificate());
    // Not signed by the CA, no digitalSignature, no SPIFFE id: refused in the handshake.
    assertEquals(Status.Code.UNAVAILABLE, listHostsFails(channel(files)).getStatus().getCode());
  }

  @Test
  void expiredCertificateIsRefused() throws Exception {
    Instant now = Instant.now();
    TlsFiles expired = controller.pki.issue(Role.OPERATOR, "ops",
        now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
    assertEquals(Status.Code.UNAVAILABLE, listHostsFails(channel(expired)).getStatus().getCode());
  }

  @Test
  void agentRefusesControllerWithoutTheDialledHostName() throws Exception {
    controller.close();
    ControllerServer wrongName = cleanup.register(ControllerServer.start(
        ControllerConfig.withDefaults("127.0.0.1", 0, dir.resolve("state2"),
            controller.pki.controllerFor("controller.elsewhere.example")),
        controller.clock));
    TlsFiles agent = controller.pki.agent("hv-01");
    ManagedChannel channel = io.grpc.Grpc.newChannelBuilder("localhost:" + wrongName.port(),
        TlsMaterial.load(agent, true).channelCredentials()).build();
    cleanup.register(channel::shutdownNow);
    StatusRuntimeException e = listHostsFails(channel);
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
  }

  @Test
  void agentCertificateMayNotCallOperatorServices() throws Exception {
    StatusRuntimeException e = listHostsFails(channel(controller.pki.agent("hv-01")));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("failback.v1.InventoryService"),
        e.getStatus().getDescription());
    assertTrue(e.getStatus().getDescription().contains("may call only failback.v1.AgentService"),
        e.getStatus().getDescription());
  }

  @Test
  void operatorCertificateMayNotCallAgentService() throws Exception {
    Status status = connectAndRegister(channel(controller.pki.operator("ops")), "hv-01");
    assertEquals(Status.Code.PERMISSION_DENIED, status.getCode());
    assertTrue(status.getDescription().contains("operator identity"), status.getDescription());
  }

  @Test
  void agentMayNotRegisterAsAnotherHost() throws Exception {
    Status status = connectAndRegister(channel(controller.pki.agent("hv-01")), "hv-02");
    assertEquals(Status.Code.PERMISSION_DENIED, status.getCode());
    assertTrue(status.getDescription().contains("may not register as host 'hv-02'"),
        status.getDescription());
    assertEquals(0, controller.server.registry().hosts().size());
  }

  @Test
  void certificateFromAnotherTrustDomainIsUnauthenticated() throws Exception {
    controller.close();
    // Same CA file trusted, but the controller expects a different trust domain.
    ControllerConfig config = controller.config(0);
    ControllerServer strict = cleanup.register(ControllerServer.start(new ControllerConfig(
        config.listenHost(), 0, dir.resolve("state3"), config.tls(), "other.domain",
        config.heartbeatInterval(), config.heartbeatTimeout(), config.reloadPeriod(),
        config.peerRecheckPeriod(), config.replicationInterval(), false, null,
        config.transport(), config.issuing(), config.cloud(), Duration.ofMinutes(10),
        Duration.ofMinutes(5), null, null, LeaseSettings.DEFAULTS,
        io.failback.controller.bandwidth.ConfiguredLimit.DEFAULTS),
        controller.clock));
    ManagedChannel channel = io.grpc.Grpc.newChannelBuilder("localhost:" + strict.port(),
        TlsMaterial.load(controller.pki.operator("ops"), true).channelCredentials()).build();
    cleanup.register(channel::shutdownNow);
    StatusRuntimeException e = listHostsFails(channel);
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("trust domain"),
        e.getStatus().getDescription());
  }

  @Test
  void simulationRpcsSayTheControllerRunsWithoutSimulation() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> CloudSimulationServiceGrpc.newBlockingStub(
            channel(controller.pki.simulator("guests")))
            .writeToCloudVm(WriteToCloudVmRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("WriteToCloudVm")
        && e.getStatus().getDescription().contains("without --simulation"),
        e.getStatus().getDescription());
  }

  @Test
  void failoverWithoutAVmIsInvalid() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> FailoverServiceGrpc.newBlockingStub(channel(controller.pki.operator("ops")))
            .plannedFailover(PlannedFailoverRequest.getDefaultInstance()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("vm_ids"));
  }

  @Test
  void openStreamIsClosedOnceThePeerCertificateExpires() throws Exception {
    // Only the certificate may end this stream, not the heartbeat timeout.
    controller.close();
    controller.heartbeatTimeout = Duration.ofDays(7);
    controller.start();
    Instant now = Instant.now();
    TlsFiles shortLived = controller.pki.issue(Role.AGENT, "hv-01",
        now.minus(Duration.ofMinutes(1)), now.plus(Duration.ofHours(1)));
    CompletableFuture<Status> ended = new CompletableFuture<>();
    StreamObserver<AgentMessage> requests = AgentServiceGrpc.newStub(channel(shortLived))
        .connect(observer(ended, new CompletableFuture<>()));
    requests.onNext(register("hv-01"));
    awaitOnline("hv-01");
    controller.clock.advance(Duration.ofHours(2));
    Status status = ended.get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAUTHENTICATED, status.getCode());
    assertTrue(status.getDescription().contains("expired"), status.getDescription());
    awaitOffline("hv-01");
  }

  private void awaitOnline(String host) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!controller.server.registry().isOnline(host)) {
      assertTrue(System.nanoTime() < deadline, host + " never came online");
      Thread.sleep(10);
    }
  }

  private void awaitOffline(String host) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (controller.server.registry().isOnline(host)) {
      assertTrue(System.nanoTime() < deadline, host + " never went offline");
      Thread.sleep(10);
    }
  }

  private static Status connectAndRegister(ManagedChannel channel, String hostName)
      throws Exception {
    CompletableFuture<Status> ended = new CompletableFuture<>();
    StreamObserver<AgentMessage> requests = AgentServiceGrpc.newStub(channel)
        .connect(observer(ended, new CompletableFuture<>()));
    requests.onNext(register(hostName));
    return ended.get(10, TimeUnit.SECONDS);
  }

  static AgentMessage register(String hostName) {
    return AgentMessage.newBuilder().setRegister(Register.newBuilder()
        .setInventory(HostInventory.newBuilder().setHostName(hostName)
            .setHypervisorKind(io.failback.proto.v1.HypervisorKind.SIMULATED))
        .setAgentInstanceId("test")).build();
  }

  static StreamObserver<ControllerMessage> observer(CompletableFuture<Status> ended,
      CompletableFuture<ControllerMessage> first) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ControllerMessage value) {
        first.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        ended.complete(Status.OK);
      }
    };
  }
}
