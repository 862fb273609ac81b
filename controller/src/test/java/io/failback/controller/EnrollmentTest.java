package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.CertificateRenewer;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.grpc.Enroller;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.certs.Identities;
import io.failback.certs.Pem;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.MutableClock;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.CertificateServiceGrpc;
import io.failback.proto.v1.CreateEnrollmentTokenRequest;
import io.failback.proto.v1.EnrollRequest;
import io.failback.proto.v1.EnrollmentServiceGrpc;
import io.failback.proto.v1.FenceHostRequest;
import io.failback.proto.v1.HostServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.ListAuditEventsRequest;
import io.failback.proto.v1.ListHostsRequest;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents join with a one-time token and renew by themselves, over real TLS: the key is made
 * on the agent, the controller signs CSRs with the CA it holds (issue 12.5).
 */
class EnrollmentTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  private ControllerFixture controller;

  private void start(Duration lifetime) throws Exception {
    controller = cleanup.register(new ControllerFixture(dir));
    controller.server = ControllerServer.start(controller.config(0).withIssuing(
        new ControllerConfig.Issuing(controller.pki.caDirectory(), lifetime)), controller.clock);
  }

  private String token(String host, Duration ttl) throws Exception {
    return CertificateServiceGrpc.newBlockingStub(controller.channel(controller.pki
        .operator("ops"))).createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder()
        .setHostName(host).setTtl(com.google.protobuf.Duration.newBuilder()
            .setSeconds(ttl.getSeconds())).build()).getToken();
  }

  private Status enrollStatus(String token, Path out) {
    IOException refused = assertThrows(IOException.class, () -> Enroller.enroll(
        controller.target(), token, controller.pki.caCertificate(), out));
    return Status.fromThrowable(refused.getCause());
  }

  private static X509Certificate leaf(Path file) throws IOException {
    return Pem.readCertificates(file).get(0);
  }

  private AgentClient runAgent(String host, Enroller.Files3 files, Clock clock)
      throws Exception {
    Path hostDir = dir.resolve(host);
    SimulatedHostSeeder.seed(hostDir, host, List.of());
    AgentClient agent = cleanup.register(AgentClient.start(AgentConfig.withDefaults(
        controller.target(), new TlsFiles(files.certificate(), files.privateKey(),
            files.caBundle()), hostDir).withBackoff(Duration.ofMillis(50),
            Duration.ofMillis(200)).withReloadPeriod(Duration.ofMillis(100)), clock,
        new ControlSession.SessionListener() {}));
    awaitOnline(host);
    return agent;
  }

  private void awaitOnline(String host) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!controller.server.registry().isOnline(host)) {
      assertTrue(System.nanoTime() < deadline, host + " never came online");
      Thread.sleep(20);
    }
  }

  @Test
  void anAgentEnrollsOnceWithItsTokenAndRunsWithTheKeyItMade() throws Exception {
    start(Duration.ofDays(7));
    String token = token("hv-07", Duration.ofHours(1));
    Path out = dir.resolve("enrolled");
    assertEquals("hv-07", Enroller.enroll(controller.target(), token,
        controller.pki.caCertificate(), out).getHostName());
    Enroller.Files3 files = Enroller.files(out);
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(files.privateKey())));
    X509Certificate cert = leaf(files.certificate());
    assertEquals("spiffe://failback.test/agent/hv-07",
        Identities.spiffeIdOf(cert).orElseThrow());
    long days = Duration.between(cert.getNotBefore().toInstant(),
        cert.getNotAfter().toInstant()).toDays();
    assertEquals(7, days, "the certificate lives as long as --cert-lifetime says");

    assertEquals(Status.Code.PERMISSION_DENIED,
        enrollStatus(token, dir.resolve("again")).getCode(), "a used token works twice");
    runAgent("hv-07", files, Clock.systemUTC());
    assertTrue(HostServiceGrpc.newBlockingStub(controller.channel(controller.pki
        .operator("ops"))).listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setTarget("host/hv-07").build()).getEventsList().stream()
        .anyMatch(e -> e.getAction().equals("certificate.enroll")));
  }

  @Test
  void expiredBadAndFencedEnrollmentsAreRefusedAndNothingElseIsOpen() throws Exception {
    start(Duration.ofDays(7));
    String expiring = token("hv-08", Duration.ofMinutes(10));
    controller.clock.advance(Duration.ofMinutes(11));
    Status expired = enrollStatus(expiring, dir.resolve("expired"));
    assertEquals(Status.Code.PERMISSION_DENIED, expired.getCode());
    assertTrue(expired.getDescription().contains("unknown, already used or expired"));
    assertEquals(Status.Code.PERMISSION_DENIED, enrollStatus("fbe_guess", dir.resolve("guess"))
        .getCode());

    ManagedChannel anonymous = Grpc.newChannelBuilder(controller.target(),
        TlsChannelCredentials.newBuilder().trustManager(controller.pki.caCertificate().toFile())
            .build()).build();
    cleanup.register(anonymous::shutdownNow);
    StatusRuntimeException closed = assertThrows(StatusRuntimeException.class,
        () -> InventoryServiceGrpc.newBlockingStub(anonymous)
            .listHosts(ListHostsRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, closed.getStatus().getCode());
    StatusRuntimeException badCsr = assertThrows(StatusRuntimeException.class,
        () -> EnrollmentServiceGrpc.newBlockingStub(anonymous).enroll(EnrollRequest.newBuilder()
            .setToken(token("hv-08", Duration.ofHours(1)))
            .setCsrDer(ByteString.copyFromUtf8("not a CSR")).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, badCsr.getStatus().getCode());

    String fencedToken = token("hv-09", Duration.ofHours(1));
    HostServiceGrpc.newBlockingStub(controller.channel(controller.pki.operator("ops")))
        .fenceHost(FenceHostRequest.newBuilder().setHostName("hv-09").setReason("stolen")
            .build());
    Status fenced = enrollStatus(fencedToken, dir.resolve("fenced"));
    assertEquals(Status.Code.PERMISSION_DENIED, fenced.getCode());
    assertTrue(fenced.getDescription().contains("fenced"), fenced.getDescription());
  }

  @Test
  void theAgentRenewsAtTwoThirdsOfItsCertificatesLifeSeenWithAFakeClock() throws Exception {
    start(Duration.ofDays(3));
    Path out = dir.resolve("enrolled");
    Enroller.enroll(controller.target(), token("hv-07", Duration.ofHours(1)),
        controller.pki.caCertificate(), out);
    Enroller.Files3 files = Enroller.files(out);
    X509Certificate first = leaf(files.certificate());
    MutableClock agentClock = new MutableClock(first.getNotBefore().toInstant());
    runAgent("hv-07", files, agentClock);

    agentClock.advance(Duration.ofDays(1));
    Thread.sleep(500); // five renewal checks, none due yet
    assertEquals(first.getSerialNumber(), leaf(files.certificate()).getSerialNumber(),
        "renewed before two thirds of the certificate's life");

    agentClock.advance(Duration.ofDays(1).plusHours(1));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    BigInteger serial = first.getSerialNumber();
    while (serial.equals(first.getSerialNumber())) {
      assertTrue(System.nanoTime() < deadline, "the agent never renewed its certificate");
      Thread.sleep(50);
      serial = leaf(files.certificate()).getSerialNumber();
    }
    X509Certificate renewed = leaf(files.certificate());
    assertNotEquals(first.getPublicKey(), renewed.getPublicKey(), "the key must be new");
    assertEquals(Identities.spiffeIdOf(first), Identities.spiffeIdOf(renewed));
    assertTrue(!CertificateRenewer.dueAt(renewed).isBefore(CertificateRenewer.dueAt(first)));
    awaitOnline("hv-07");
  }

  private static String cli(TlsFiles identity, String target, String... command) {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    List<String> args = new java.util.ArrayList<>(List.of("--controller", target, "--ca",
        identity.trustBundle().toString(), "--cert", identity.certificate().toString(),
        "--key", identity.privateKey().toString()));
    args.addAll(List.of(command));
    int exit = io.failback.controller.cli.FailbackMain.run(args.toArray(String[]::new),
        new java.io.PrintWriter(out), new java.io.PrintWriter(err));
    assertEquals(0, exit, out + " " + err);
    return out.toString();
  }

  @Test
  void operatorsCreateTokensAndRenewTheirOwnCertificateFromTheCli() throws Exception {
    start(Duration.ofDays(7));
    TlsFiles ops = TestPki.copy(controller.pki.operator("ops"), dir.resolve("ops"));
    String printed = cli(ops, controller.target(), "enroll-token", "hv-11", "--ttl", "PT30M");
    String token = printed.lines().findFirst().orElseThrow();
    assertTrue(token.startsWith("fbe_") && printed.contains("for host hv-11"), printed);
    Enroller.enroll(controller.target(), token, controller.pki.caCertificate(),
        dir.resolve("hv-11"));

    BigInteger before = leaf(ops.certificate()).getSerialNumber();
    cli(ops, controller.target(), "renew-cert");
    assertNotEquals(before, leaf(ops.certificate()).getSerialNumber());
    assertEquals("spiffe://failback.test/operator/ops",
        Identities.spiffeIdOf(leaf(ops.certificate())).orElseThrow());
    assertTrue(cli(ops, controller.target(), "hosts").contains("HOST"),
        "the renewed files do not work");
  }
}
