package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.certs.EncryptionCertificates;
import io.failback.certs.EncryptionCertificates.Issued;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc.FailoverServiceBlockingStub;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.PreflightProblem;
import io.failback.proto.v1.ProtectionState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pre-flight of a failback with data encryption reports what the real request would refuse
 * (an expired certificate, one that does not allow keyEncipherment), and a missing certificate is
 * the operator's error whether or not the request names a target host (issue 11, item 7).
 */
class EncryptionCertificateChecksTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private final Issued held = EncryptionCertificates.create("hv-01", Duration.ofDays(30),
      Clock.systemUTC());
  private final Issued expired = EncryptionCertificates.create("hv-01", Duration.ofDays(1),
      Clock.offset(Clock.systemUTC(), Duration.ofDays(-10)));
  private final Issued signingOnly = signingOnly();

  @Test
  void anExpiredOrSigningOnlyCertificateIsReportedUnusableThenRefusedWithTheSameReason()
      throws Exception {
    LifecycleFixture fixture = failedOverWithEncryption();
    FailoverServiceBlockingStub failover = failover(fixture);
    List<String> reported = fixture.controller.server.registry().host("hv-01").orElseThrow()
        .getInventory().getEncryptionCertificatesList().stream().map(c -> c.getThumbprint())
        .toList();
    assertTrue(reported.containsAll(List.of(held.thumbprint(), expired.thumbprint(),
        signingOnly.thumbprint())), "the agent reports every certificate it holds: " + reported);

    check(fixture, failover, expired, "is not valid at");
    check(fixture, failover, signingOnly, "does not allow keyEncipherment");

    FailoverResponse good = failover.plannedFailover(request(fixture, held.thumbprint())
        .setValidateOnly(true).build());
    assertEquals(List.of(), good.getPreflight().getProblemsList(), good.toString());
  }

  @Test
  void aMissingCertificateIsInvalidArgumentWithOrWithoutATargetHost() throws Exception {
    LifecycleFixture fixture = failedOverWithEncryption();
    fixture.startEmptyHost("hv-02", "LAN");
    FailoverServiceBlockingStub failover = failover(fixture);

    for (String target : List.of("", "hv-01", "hv-02")) {
      StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
          () -> failover.plannedFailover(request(fixture, "").setTargetHost(target).build()),
          "target_host '" + target + "'");
      assertEquals(Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode(),
          "target_host '" + target + "': " + missing.getStatus());
      assertTrue(missing.getStatus().getDescription().contains(
          "encryption_certificate is required"), missing.getStatus().getDescription());
    }
    assertEquals(ProtectionState.FAILED_OVER, fixture.item().getState());
    assertEquals("hv-01", fixture.item().getOnPremHost());
    assertEquals(List.of(), new SimulatedHypervisor(dir.resolve("hv-02")).inventory()
        .getVirtualMachinesList(), "a refused failback created a VM on hv-02");
  }

  /** validate_only lists certificate_unusable; the real request refuses with that reason. */
  private static void check(LifecycleFixture fixture, FailoverServiceBlockingStub failover,
      Issued certificate, String reason) throws Exception {
    FailoverResponse dryRun = failover.plannedFailover(request(fixture,
        certificate.thumbprint()).setValidateOnly(true).build());
    List<PreflightProblem> problems = dryRun.getPreflight().getProblemsList();
    assertEquals(List.of("certificate_unusable"), problems.stream()
        .map(PreflightProblem::getCheck).toList(), dryRun.toString());
    assertTrue(problems.get(0).getMessage().contains(reason), problems.get(0).getMessage());

    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> failover.plannedFailover(request(fixture, certificate.thumbprint()).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains(certificate.thumbprint()
        + " of host hv-01 cannot be used") && refused.getStatus().getDescription()
        .contains(reason), refused.getStatus().getDescription());
    assertEquals(ProtectionState.FAILED_OVER, fixture.item().getState(), "a refusal moved it");
  }

  private LifecycleFixture failedOverWithEncryption() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> "localhost:" + port,
        host -> {
          Path store = host.resolve(".agent").resolve("encryption");
          held.write(store);
          expired.write(store);
          signingOnly.write(store);
        }, false);
    FailoverServiceBlockingStub failover = failover(fixture);
    fixture.awaitState(failover.enableProtection(EnableProtectionRequest.newBuilder()
        .addVmIds(fixture.vmId).setDataEncryption(true).build()).getJob(),
        JobState.JOB_SUCCEEDED);
    var lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_OVER, fixture.item().getState());
    return fixture;
  }

  private static FailoverServiceBlockingStub failover(LifecycleFixture fixture)
      throws Exception {
    return FailoverServiceGrpc.newBlockingStub(fixture.controller.channel(
        fixture.controller.pki.operator("ops")));
  }

  private static PlannedFailoverRequest.Builder request(LifecycleFixture fixture,
      String thumbprint) {
    return PlannedFailoverRequest.newBuilder().addVmIds(fixture.vmId)
        .setDataSync(DataSync.FULL_DOWNLOAD).setEncryptionCertificate(thumbprint);
  }

  /** An RSA-3072 certificate the agent holds the key of, for signatures only. */
  private static Issued signingOnly() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(EncryptionCertificates.RSA_BITS);
      KeyPair keys = generator.generateKeyPair();
      X500Name name = new X500Name("CN=hv-01,OU=signing,O=Failback");
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
          BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)),
          Date.from(now.plus(Duration.ofDays(30))), name, keys.getPublic());
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
      return new Issued(keys, cert);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
