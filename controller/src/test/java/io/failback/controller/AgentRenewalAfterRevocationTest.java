package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.RefreshInventory;
import io.failback.proto.v1.Registered;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent whose certificate is revoked and renewed in place comes back without a restart;
 * one whose certificate is renewed moves its control stream to a handshake that presents it.
 */
class AgentRenewalAfterRevocationTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private final BlockingQueue<Registered> registrations = new LinkedBlockingQueue<>();
  private final BlockingQueue<Status> drops = new LinkedBlockingQueue<>();
  private final ControlSession.SessionListener listener = new ControlSession.SessionListener() {
    @Override
    public void registered(Registered registered) {
      registrations.add(registered);
    }

    @Override
    public void disconnected(Status status, Duration retryIn) {
      drops.add(status);
    }
  };

  private ControllerFixture controller;
  private TlsFiles files;

  /** A controller and a real agent of hv-01 whose TLS files are {@link #files}, registered. */
  private void startAndRegister() throws Exception {
    controller = cleanup.register(new ControllerFixture(dir));
    controller.heartbeatTimeout = Duration.ofDays(7);
    controller.start();
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.demoHost(hostDir, "hv-01");
    files = controller.pki.agent("hv-01");
    cleanup.register(AgentClient.start(AgentConfig.withDefaults(controller.target(), files,
            hostDir).withBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .withReloadPeriod(Duration.ofMillis(100)), Clock.systemUTC(), listener));
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent never registered");
  }

  @Test
  void renewedCertificateIsPresentedInANewHandshake() throws Exception {
    startAndRegister();

    controller.pki.revoke(files);
    assertTrue(controller.server.revocations().reloadIfChanged());
    Status cut = drops.poll(10, TimeUnit.SECONDS);
    assertNotNull(cut, "the revoked agent was not cut off");
    assertEquals(Status.Code.UNAUTHENTICATED, cut.getCode());
    assertTrue(cut.getDescription().contains("was revoked at"), cut.getDescription());

    // The operator issues a new certificate into the same files, as a key rotation does.
    assertEquals(files, controller.pki.agent("hv-01"));
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS),
        "the agent never registered again with its renewed certificate");
    assertTrue(controller.server.registry().isOnline("hv-01"));
  }

  @Test
  void aRenewedAgentMovesItsControlStreamWithoutGoingOffline() throws Exception {
    startAndRegister();
    TlsFiles before = TestPki.copy(files, dir.resolve("before"));

    assertEquals(files, controller.pki.agent("hv-01"));
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS),
        "the agent did not register over a new connection after its certificate changed");
    // The old certificate revoked: a stream still presenting it would be cut now.
    controller.pki.revoke(before);
    assertTrue(controller.server.revocations().reloadIfChanged());

    assertNull(drops.poll(3, TimeUnit.SECONDS), "the control stream went down");
    assertTrue(controller.server.registry().isOnline("hv-01"));
    assertEquals("hv-01", controller.server.registry().send("hv-01", Command.newBuilder()
        .setCommandId("after-the-move").setRefreshInventory(RefreshInventory.getDefaultInstance())
        .build()).get(20, TimeUnit.SECONDS).getInventory().getHostName());
  }
}

