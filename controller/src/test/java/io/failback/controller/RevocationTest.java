package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.ListHostsRequest;
import io.failback.proto.v1.WatchJobRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A revoked agent and a revoked operator over real Netty TLS: refused in new handshakes, on new
 * calls over connections made before the revocation, and cut off on open streams within the
 * re-check period (100 ms here).
 */
class RevocationTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  ControllerFixture controller;

  @BeforeEach
  void startController() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir));
    // Only the certificate may end a stream here, never the heartbeat timeout.
    controller.heartbeatTimeout = Duration.ofDays(7);
    controller.start();
  }

  private ManagedChannel channel(TlsFiles identity) throws Exception {
    ManagedChannel channel = controller.channel(identity);
    cleanup.register(channel::shutdownNow);
    return channel;
  }

  static Status listHostsStatus(ManagedChannel channel) {
    try {
      InventoryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .listHosts(ListHostsRequest.getDefaultInstance());
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  static void assertRevoked(Status status) {
    assertEquals(Status.Code.UNAUTHENTICATED, status.getCode(), String.valueOf(status));
    assertTrue(status.getDescription().contains("was revoked at"), status.getDescription());
  }

  @Test
  void revokedAgentIsCutOffAndRefusedInNewHandshakes() throws Exception {
    TlsFiles agent = controller.pki.agent("hv-01");
    ControlStreamProbe stream = ControlStreamProbe.register(channel(agent), "hv-01");
    assertTrue(stream.next().hasRegistered());

    controller.pki.revoke(agent);
    assertTrue(controller.server.revocations().reloadIfChanged());

    assertRevoked(stream.awaitEnd());
    await(() -> !controller.server.registry().isOnline("hv-01"), "hv-01 to go offline");
    Status again = ControlStreamProbe.register(channel(agent), "hv-01").awaitEnd();
    assertEquals(Status.Code.UNAVAILABLE, again.getCode(), String.valueOf(again));
    assertFalse(controller.server.registry().isOnline("hv-01"));
  }

  @Test
  void revokedOperatorsWatchIsCutWithoutARestartOrAReloadCall() throws Exception {
    controller.close();
    controller.reloadPeriod = Duration.ofMillis(100);
    controller.start();
    TlsFiles ops = controller.pki.operator("ops");
    ManagedChannel channel = channel(ops);
    String job = controller.server.jobs().create("PlannedFailover",
        FailoverDirection.CLOUD_TO_ON_PREM, "", Map.of("vm-1", List.of("os.vhdx"))).getId();
    JobServiceTest.Watcher watcher = new JobServiceTest.Watcher();
    JobServiceGrpc.newStub(channel).watchJob(WatchJobRequest.newBuilder().setJobId(job).build(),
        watcher);
    watcher.next();

    // As failback-pki revoke would on the CA host; the controller's scheduled reload finds it.
    controller.pki.revoke(ops);

    Object end = watcher.events.poll(10, TimeUnit.SECONDS);
    assertTrue(end instanceof Status, "expected the watch to end, got " + end);
    assertRevoked((Status) end);
    await(() -> controller.server.jobs().openWatches() == 0, "the watch to be dropped");
    // The connection that carried the watch is still up; every new call on it is checked.
    assertRevoked(listHostsStatus(channel));
    assertEquals(Status.Code.UNAVAILABLE, listHostsStatus(channel(ops)).getCode());
    assertEquals(Status.Code.OK,
        listHostsStatus(channel(controller.pki.operator("other"))).getCode());
  }

  @Test
  void revokedAgentCannotReplaceTheRealAgentsStream() throws Exception {
    TlsFiles stolen = TestPki.copy(controller.pki.agent("hv-01"), dir.resolve("stolen"));
    // The thief's connection is up before the revocation, as it would be.
    ManagedChannel thief = channel(stolen);
    ControlStreamProbe thiefStream = ControlStreamProbe.register(thief, "hv-01");
    assertTrue(thiefStream.next().hasRegistered());

    controller.pki.revoke(stolen);
    TlsFiles renewed = controller.pki.agent("hv-01");
    assertTrue(controller.server.revocations().reloadIfChanged());
    assertRevoked(thiefStream.awaitEnd());
    ControlStreamProbe real = ControlStreamProbe.register(channel(renewed), "hv-01");
    assertTrue(real.next().hasRegistered());

    assertRevoked(ControlStreamProbe.register(thief, "hv-01").awaitEnd());
    Status handshake = ControlStreamProbe.register(channel(stolen), "hv-01").awaitEnd();
    assertEquals(Status.Code.UNAVAILABLE, handshake.getCode(), String.valueOf(handshake));
    // Commands still reach the real agent: its stream was never replaced.
    assertTrue(controller.server.registry().refreshInventory("hv-01"));
    assertTrue(real.next().getCommand().hasRefreshInventory());
    assertFalse(real.ended.isDone(), String.valueOf(real.ended.getNow(null)));
  }

  @Test
  void revokedOperatorResumingItsTlsSessionIsRefusedOnItsFirstCall() throws Exception {
    TlsFiles ops = controller.pki.operator("ops");
    ManagedChannel channel = channel(ops);
    assertEquals(Status.Code.OK, listHostsStatus(channel).getCode());
    controller.pki.revoke(ops);
    assertTrue(controller.server.revocations().reloadIfChanged());

    // A new connection of the same channel resumes the TLS session made before the revocation,
    // and a resumed handshake does not consult the trust manager: only the per-call check
    // stands between this connection and the services.
    channel.enterIdle();
    assertRevoked(listHostsStatus(channel));
  }

  @Test
  void revocationOfOneCertificateLeavesItsRenewalIn() throws Exception {
    TlsFiles old = TestPki.copy(controller.pki.operator("ops"), dir.resolve("old"));
    controller.pki.revoke(old);
    TlsFiles renewed = controller.pki.operator("ops");
    assertTrue(controller.server.revocations().reloadIfChanged());

    assertEquals(Status.Code.UNAVAILABLE, listHostsStatus(channel(old)).getCode());
    assertEquals(Status.Code.OK, listHostsStatus(channel(renewed)).getCode());
  }

  private static void await(BooleanSupplier condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(10);
    }
  }
}
