package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.certs.EncryptionCertificates;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc.FailoverServiceBlockingStub;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectionState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A protected item with data encryption fails back only under an encryption certificate its
 * target agent holds, and then no block of it crosses the data streams in plaintext.
 */
class EncryptedFailbackTest {
  private static final int BLOCK = 64 * 1024;
  private static final int MARKED = 24;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void failbackNeedsTheHeldCertificateAndSendsNoPlaintext() throws Exception {
    EncryptionCertificates.Issued held = EncryptionCertificates.create("hv-01",
        Duration.ofDays(30), Clock.systemUTC());
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> "localhost:" + port,
        host -> held.write(host.resolve(".agent").resolve("encryption")), true);
    FailoverServiceBlockingStub failover = FailoverServiceGrpc.newBlockingStub(
        fixture.controller.channel(fixture.controller.pki.operator("ops")));
    Lifecycle lifecycle = fixture.controller.server.lifecycle();

    Job protect = failover.enableProtection(EnableProtectionRequest.newBuilder()
        .addVmIds(fixture.vmId).setDataEncryption(true).build()).getJob();
    fixture.awaitState(protect, JobState.JOB_SUCCEEDED);
    assertTrue(fixture.item().getDataEncryption());
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    // The cloud guest writes incompressible blocks: unencrypted, they would cross verbatim.
    byte[] marked = new byte[MARKED * BLOCK];
    new Random(5).nextBytes(marked);
    fixture.controller.server.cloud().guest(cloudVm).write(0, 64L * BLOCK, marked);

    StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
        () -> failover.plannedFailover(request(fixture, "")));
    assertEquals(Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode());
    assertTrue(missing.getStatus().getDescription().contains(held.thumbprint()),
        missing.getStatus().getDescription());

    FailoverResponse dryRun = failover.plannedFailover(request(fixture, "").toBuilder()
        .setValidateOnly(true).build());
    assertTrue(dryRun.getPreflight().getProblemsList().stream().anyMatch(p -> p.getCheck()
        .equals("certificate_missing") && p.getMessage().contains(held.thumbprint())),
        dryRun.toString());

    String foreign = EncryptionCertificates.create("hv-02", Duration.ofDays(30),
        Clock.systemUTC()).thumbprint();
    StatusRuntimeException notHeld = assertThrows(StatusRuntimeException.class,
        () -> failover.plannedFailover(request(fixture, foreign)));
    assertEquals(Status.Code.FAILED_PRECONDITION, notHeld.getStatus().getCode());
    assertTrue(notHeld.getStatus().getDescription().contains("holds no encryption certificate"
        + " with thumbprint " + foreign), notHeld.getStatus().getDescription());
    assertEquals(ProtectionState.FAILED_OVER, fixture.item().getState(), "a refusal moved it");

    fixture.tap.takeReceived();
    FailoverResponse started = failover.plannedFailover(request(fixture, held.thumbprint()));
    Job done = fixture.awaitState(started.getJob(), JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "encrypted end to end for encryption certificate " + held.thumbprint())), done.toString());
    fixture.assertOnPremEqualsCloud(cloudVm);

    String wire = new String(fixture.tap.takeReceived(), StandardCharsets.ISO_8859_1);
    assertTrue(wire.length() > marked.length, "the blocks did not pass the tap");
    for (int b = 0; b < MARKED; b++) {
      String sample = new String(marked, b * BLOCK + 20_000, 48, StandardCharsets.ISO_8859_1);
      assertTrue(!wire.contains(sample), "block " + b + " crossed in plaintext");
    }
    assertArrayEquals(fixture.cloudBytes(cloudVm, 0), fixture.onPremBytes(0));
  }

  private static PlannedFailoverRequest request(LifecycleFixture fixture, String thumbprint) {
    return PlannedFailoverRequest.newBuilder().addVmIds(fixture.vmId)
        .setDataSync(DataSync.FULL_DOWNLOAD).setEncryptionCertificate(thumbprint).build();
  }
}
