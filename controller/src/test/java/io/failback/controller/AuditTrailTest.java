package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.hash.Hashing;
import com.google.protobuf.util.Timestamps;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.AuditEvent;
import io.failback.proto.v1.CommitRequest;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverResponse;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.HostServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ListAuditEventsRequest;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two operators act on one VM through the API; the audit trail names each of them (SPIFFE id
 * and certificate fingerprint) on exactly their calls, with the options, the job started and
 * the result, a refused call too; each job's end carries the disks' digests; the trail filters
 * by VM, caller and time; and no RPC can change or delete an event.
 */
class AuditTrailTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void eachOperatorsCallsAreRecordedWithTheirIdentity() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    TlsFiles alice = fixture.controller.pki.operator("alice");
    TlsFiles bob = fixture.controller.pki.operator("bob");
    var asAlice = FailoverServiceGrpc.newBlockingStub(closing(fixture.controller.channel(alice)));
    var asBob = FailoverServiceGrpc.newBlockingStub(closing(fixture.controller.channel(bob)));

    FailoverResponse protect = asAlice.enableProtection(EnableProtectionRequest.newBuilder()
        .addVmIds(fixture.vmId).build());
    fixture.awaitState(protect.getJob(), JobState.JOB_SUCCEEDED, Duration.ofSeconds(60));
    FailoverResponse failover = asBob.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.vmId).setDataSync(DataSync.SYNC_BEFORE_FAILOVER).build());
    fixture.awaitState(failover.getJob(), JobState.JOB_SUCCEEDED, Duration.ofSeconds(60));
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> asBob.completeFailover(CompleteFailoverRequest.newBuilder()
            .setJobId(failover.getJob().getId()).build()));
    FailoverResponse commit = asAlice.commit(CommitRequest.newBuilder()
        .addVmIds(fixture.vmId).build());
    fixture.awaitState(commit.getJob(), JobState.JOB_SUCCEEDED, Duration.ofSeconds(60));

    var audit = HostServiceGrpc.newBlockingStub(closing(fixture.controller.channel(alice)));
    String vm = "vm/" + fixture.vmId.toLowerCase(java.util.Locale.ROOT);
    List<AuditEvent> events = audit.listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setTarget(vm).build()).getEventsList();

    AuditEvent enable = only(events, "failback.v1.FailoverService/EnableProtection");
    assertTrue(enable.getActor().endsWith("/operator/alice"), enable.toString());
    assertEquals(fingerprint(alice), enable.getCertificateFingerprint());
    assertTrue(enable.getDetail().contains("result OK; job " + protect.getJob().getId()),
        enable.getDetail());
    assertTrue(enable.getDetail().contains(fixture.vmId), enable.getDetail());

    AuditEvent planned = only(events, "failback.v1.FailoverService/PlannedFailover");
    assertTrue(planned.getActor().endsWith("/operator/bob"), planned.toString());
    assertEquals(fingerprint(bob), planned.getCertificateFingerprint());
    assertTrue(planned.getDetail().contains("\"dataSync\":\"SYNC_BEFORE_FAILOVER\""),
        planned.getDetail());
    assertTrue(planned.getDetail().contains("job " + failover.getJob().getId()),
        planned.getDetail());

    // The refused call names the job, not the VM: find it by the job's target.
    List<AuditEvent> jobEvents = audit.listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setTarget("job/" + failover.getJob().getId()).build()).getEventsList();
    AuditEvent complete = only(jobEvents, "failback.v1.FailoverService/CompleteFailover");
    assertTrue(complete.getActor().endsWith("/operator/bob"));
    assertTrue(complete.getDetail().contains("result " + refused.getStatus().getCode()),
        complete.getDetail());

    // The failover to the cloud's end carries both sides' digests of every disk, as does
    // the failback's (Bob's), each the proof of what it moved.
    assertEndProves(fixture, audit, vm, failover.getJob().getId());
    FailoverResponse failback = asBob.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.vmId).setDataSync(DataSync.FULL_DOWNLOAD).build());
    fixture.awaitState(failback.getJob(), JobState.JOB_SUCCEEDED, Duration.ofSeconds(60));
    assertEndProves(fixture, audit, vm, failback.getJob().getId());
    events = audit.listAuditEvents(ListAuditEventsRequest.newBuilder().setTarget(vm).build())
        .getEventsList();

    String aliceId = enable.getActor();
    List<AuditEvent> byAlice = audit.listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setActor(aliceId).build()).getEventsList();
    // Each call is recorded once per thing it names (the VM, the job it started).
    assertEquals(List.of("failback.v1.FailoverService/Commit",
        "failback.v1.FailoverService/EnableProtection"),
        byAlice.stream().map(AuditEvent::getAction).distinct().toList());
    assertEquals(List.of("job/" + commit.getJob().getId(), vm, "job/"
        + protect.getJob().getId(), vm), byAlice.stream().map(AuditEvent::getTarget).toList());
    assertTrue(byAlice.stream().allMatch(e -> e.getActor().equals(aliceId)
        && e.getCertificateFingerprint().equals(enable.getCertificateFingerprint())));
    var later = Timestamps.fromMillis(System.currentTimeMillis() + 60_000);
    assertEquals(0, audit.listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setSince(later).build()).getEventsCount());
    assertEquals(events.size(), audit.listAuditEvents(ListAuditEventsRequest.newBuilder()
        .setTarget(vm).setUntil(later).build()).getEventsCount());
    StatusRuntimeException backwards = assertThrows(StatusRuntimeException.class,
        () -> audit.listAuditEvents(ListAuditEventsRequest.newBuilder().setSince(later)
            .setUntil(Timestamps.fromMillis(0)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, backwards.getStatus().getCode());
  }

  @Test
  void noRpcChangesOrDeletesAnAuditEvent() {
    for (var file : List.of(io.failback.proto.v1.HostServiceProto.getDescriptor(),
        io.failback.proto.v1.FailoverServiceProto.getDescriptor(),
        io.failback.proto.v1.JobServiceProto.getDescriptor())) {
      for (var service : file.getServices()) {
        for (var method : service.getMethods()) {
          assertTrue(!method.getName().contains("Audit")
              || method.getName().equals("ListAuditEvents"), method.getFullName());
        }
      }
    }
  }

  private static AuditEvent only(List<AuditEvent> events, String action) {
    List<AuditEvent> matching = events.stream().filter(e -> e.getAction().equals(action))
        .toList();
    assertEquals(1, matching.size(), action + " in " + events);
    return matching.get(0);
  }

  private static String fingerprint(TlsFiles identity) throws Exception {
    try (InputStream in = Files.newInputStream(identity.certificate())) {
      return Hashing.sha256().hashBytes(CertificateFactory.getInstance("X.509")
          .generateCertificate(in).getEncoded()).toString();
    }
  }

  private io.grpc.ManagedChannel closing(io.grpc.ManagedChannel channel) {
    cleanup.register(() -> channel.shutdownNow());
    return channel;
  }

  /**
   * The job's end in the audit trail (recorded by the controller just after the job shows it)
   * names both sides' whole-disk digests of each of its two disks, equal.
   */
  private static void assertEndProves(LifecycleFixture fixture,
      HostServiceGrpc.HostServiceBlockingStub audit, String vm, String jobId) throws Exception {
    AuditEvent end = null;
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (end == null && System.nanoTime() < deadline) {
      end = audit.listAuditEvents(ListAuditEventsRequest.newBuilder().setTarget(vm)
          .build()).getEventsList().stream().filter(e -> e.getAction().equals("job.end")
              && e.getDetail().contains(jobId)).findFirst().orElse(null);
      Thread.sleep(end == null ? 50 : 0);
    }
    assertTrue(end != null, "no job.end audit event of job " + jobId);
    assertEquals("controller", end.getActor());
    int disks = 0;
    for (var task : fixture.controller.server.jobs().get(jobId).getTasksList()) {
      if (!task.getDiskPath().isEmpty()) {
        disks++;
        assertEquals(64, task.getSourceDigest().length(), task.toString());
        assertEquals(task.getSourceDigest(), task.getTargetDigest(), task.toString());
        assertTrue(end.getDetail().contains("source " + task.getSourceDigest()
            + " target " + task.getTargetDigest()), end.getDetail());
      }
    }
    assertEquals(2, disks, jobId);
  }
}
