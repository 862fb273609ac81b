package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.GetHostRequest;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.HostStatus;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.Registered;
import io.grpc.ManagedChannel;
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

/** A real agent against a real controller: registration, restart, heartbeat timeout. */
class AgentReconnectTest {
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

  private AgentClient startAgent(ControllerFixture controller) throws Exception {
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.demoHost(hostDir, "hv-01");
    AgentConfig config = AgentConfig.withDefaults(controller.target(),
        controller.pki.agent("hv-01"), hostDir)
        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200));
    return cleanup.register(AgentClient.start(config, Clock.systemUTC(), listener));
  }

  private Host host(ControllerFixture controller) throws Exception {
    ManagedChannel channel = controller.channel(controller.pki.operator("ops"));
    try {
      return InventoryServiceGrpc.newBlockingStub(channel)
          .getHost(GetHostRequest.newBuilder().setHostName("HV-01").build());
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void agentRegistersWithItsInventoryAndShowsOnline() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    startAgent(controller);
    Registered registered = registrations.poll(20, TimeUnit.SECONDS);
    assertNotNull(registered, "agent never registered");
    assertEquals("hv-01", registered.getHostName());
    assertEquals(200, registered.getHeartbeatInterval().getNanos() / 1_000_000);
    Host host = host(controller);
    assertEquals(HostStatus.ONLINE, host.getStatus());
    assertEquals(2, host.getInventory().getVirtualMachinesCount());
    assertEquals(AgentClient.VERSION, host.getInventory().getAgentVersion());
  }

  @Test
  void agentRegistersAgainAfterControllerRestart() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    startAgent(controller);
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent never registered");
    int port = controller.port();

    controller.close();
    assertNotNull(drops.poll(20, TimeUnit.SECONDS), "agent did not notice the restart");
    controller.start(port);

    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent did not register again");
    Host host = host(controller);
    assertEquals(HostStatus.ONLINE, host.getStatus());
    assertEquals(2, host.getInventory().getVirtualMachinesCount());
  }

  @Test
  void silentHostGoesOfflineAndItsAgentReconnects() throws Exception {
    ControllerFixture controller = new ControllerFixture(dir);
    // Heartbeats (and the periodic sweep) so rare that only this test's clock decides.
    controller.heartbeatInterval = Duration.ofDays(1);
    cleanup.register(controller.start());
    startAgent(controller);
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent never registered");

    controller.clock.advance(controller.heartbeatTimeout.plusSeconds(1));
    assertEquals(java.util.List.of("hv-01"), controller.server.registry().expireStale());
    assertFalse(controller.server.registry().isOnline("hv-01"));
    Status drop = drops.poll(20, TimeUnit.SECONDS);
    assertNotNull(drop, "stale stream was not closed");
    assertTrue(drop.getDescription().contains("no heartbeat"), drop.getDescription());

    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent did not register again");
    assertEquals(HostStatus.ONLINE, host(controller).getStatus());
  }

  @Test
  void refreshedInventoryReplacesTheStoredOne() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    startAgent(controller);
    assertNotNull(registrations.poll(20, TimeUnit.SECONDS), "agent never registered");
    java.nio.file.Files.walk(dir.resolve("hv-01").resolve("vms").resolve("db-01"))
        .sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());

    assertTrue(controller.server.registry().refreshInventory("hv-01"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (host(controller).getInventory().getVirtualMachinesCount() != 1) {
      assertTrue(System.nanoTime() < deadline, "inventory was not refreshed");
      Thread.sleep(20);
    }
  }
}
