package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.ControllerMessage;
import io.failback.proto.v1.Heartbeat;
import io.failback.proto.v1.RefreshInventory;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent moving its control stream to a new connection has two streams open for a moment,
 * and their Registers can reach the controller in either order (CI saw it: the host went
 * offline right after the agent was told it registered). Over real mutual TLS, the earlier
 * stream's late Register is refused and the host stays on the later one.
 */
class OvertakenControlStreamTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theEarlierStreamsLateRegisterIsRefusedAndTheHostStaysOnTheLaterOne() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir));
    controller.heartbeatTimeout = Duration.ofDays(7);
    controller.start();
    TlsFiles agent = controller.pki.agent("hv-01");
    ManagedChannel oldConnection = controller.channel(agent);
    ManagedChannel newConnection = controller.channel(agent);
    cleanup.register(oldConnection::shutdownNow);
    cleanup.register(newConnection::shutdownNow);

    ControlStreamProbe later = ControlStreamProbe.register(newConnection, "hv-01", "i1", 2);
    assertTrue(later.next().hasRegistered());
    ControlStreamProbe earlier = ControlStreamProbe.register(oldConnection, "hv-01", "i1", 1);

    Status refused = earlier.awaitEnd();
    assertEquals(Status.Code.ABORTED, refused.getCode(), String.valueOf(refused));
    assertTrue(refused.getDescription().contains("overtaken by a later one"),
        refused.getDescription());
    assertTrue(earlier.received.isEmpty(), "the refused stream was answered");
    assertTrue(controller.server.registry().isOnline("hv-01"));
    controller.server.registry().send("hv-01", Command.newBuilder()
        .setCommandId("after").setRefreshInventory(RefreshInventory.getDefaultInstance())
        .build());
    ControllerMessage next = later.next();
    while (next.hasRoundTrip()) {
      next = later.next();
    }
    assertEquals("after", next.getCommand().getCommandId());
    later.requests.onNext(AgentMessage.newBuilder()
        .setHeartbeat(Heartbeat.getDefaultInstance()).build());
    assertTrue(controller.server.registry().isOnline("hv-01"));
  }
}
