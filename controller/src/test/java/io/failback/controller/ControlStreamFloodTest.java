package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.AgentMessage;
import io.failback.proto.v1.Heartbeat;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised host sending heartbeats on its control stream in a loop, over real mutual TLS:
 * each took the registry's lock, which every host's heartbeats and commands take, and the
 * loop kept a core of the controller busy for as long as the host liked. The stream is ended
 * once it sends far more than any agent does; another host goes on.
 */
class ControlStreamFloodTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aStreamSendingMessagesInALoopIsEnded() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    ManagedChannel rogueChannel = controller.channel(controller.pki.agent("hv-66"));
    cleanup.register(rogueChannel::shutdownNow);
    ManagedChannel otherChannel = controller.channel(controller.pki.agent("hv-01"));
    cleanup.register(otherChannel::shutdownNow);
    ControlStreamProbe rogue = ControlStreamProbe.register(rogueChannel, "hv-66", "rogue", 1);
    ControlStreamProbe other = ControlStreamProbe.register(otherChannel, "hv-01", "other", 1);
    assertTrue(rogue.next().hasRegistered());
    assertTrue(other.next().hasRegistered());

    AgentMessage beat = AgentMessage.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance())
        .build();
    for (int i = 0; i < 20_000 && !rogue.ended.isDone(); i++) {
      rogue.requests.onNext(beat);
    }
    Status ended = rogue.awaitEnd();
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, ended.getCode(), ended.toString());
    assertTrue(ended.getDescription().contains("messages at once"), ended.getDescription());
    assertTrue(!other.ended.isDone(), "the other host's stream ended too: "
        + other.ended.getNow(null));
  }
}
