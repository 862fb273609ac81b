package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
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

/** A real agent whose certificate is revoked and renewed in place comes back without a restart. */
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

  @Test
  void renewedCertificateIsPresentedInANewHandshake() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir));
    controller.heartbeatTimeout = Duration.ofDays(7);
    controller.start();
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.demoHost(hostDir, "hv-01");
    TlsFiles files = controller.pki.agent("hv-01");
    cleanup.register(AgentClient.start(AgentConfig.withDefaults(controller.target(), files,
            hostDir).withBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .withReloadPeriod(Duration.ofMillis(100)), Clock.systemUTC(), listener));
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent never registered");

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
}
