package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.LogCapture;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.GetProtectedItemRequest;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SetRpoTargetRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A protected item's RPO against its target, on the controller's clock: within it, crossed
 * (the warning shows in the API, the metrics and one log line), a failed delta cycle (the
 * warning says why), and back within it.
 */
class RpoTest {
  private static final String RPO_LOG = "io.failback.controller.lifecycle.RpoWatch";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void crossingTheTargetWarnsInTheApiTheMetricsAndTheLog() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withControllerSettings(dir, cleanup,
        port -> "localhost:" + port, controller -> controller.metricsAddress =
            new java.net.InetSocketAddress("127.0.0.1", 0));
    ControllerServer server = fixture.controller.server;
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(() -> channel.shutdownNow());
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    // The copy takes a second of the controller's clock after the agent froze the disks: the
    // replica holds them as they were before that second, so the recovery point is the copy's
    // start, not its end (a first copy of hours would otherwise claim hours too fresh).
    java.time.Instant copyBegan = fixture.controller.clock.instant();
    java.util.concurrent.atomic.AtomicBoolean moved = new java.util.concurrent.atomic
        .AtomicBoolean();
    server.jobs().addListener(job -> {
      if (job.getTimelineList().stream().anyMatch(s -> s.getDescription()
          .contains(" copied as read point ")) && moved.compareAndSet(false, true)) {
        fixture.controller.clock.advance(Duration.ofSeconds(1));
      }
    });
    fixture.awaitState(server.lifecycle().enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertTrue(moved.get());
    assertEquals(copyBegan.toEpochMilli(), com.google.protobuf.util.Timestamps.toMillis(
        get(failover, fixture.vmId).getLastRecoveryPoint()));
    assertEquals(Duration.ofSeconds(1), duration(get(failover, fixture.vmId).getCurrentRpo()));
    server.lifecycle().replicateNow(fixture.vmId); // one cycle that succeeds, for the counters
    ProtectedItem item = get(failover, fixture.vmId);
    assertEquals(ProtectionState.PROTECTED, item.getState());
    assertEquals(Duration.ofMinutes(15), duration(item.getRpoTarget()));
    assertTrue(duration(item.getCurrentRpo()).compareTo(Duration.ofMinutes(1)) < 0);
    assertEquals("", item.getRpoWarning());

    for (var bad : List.of(SetRpoTargetRequest.newBuilder().addVmIds(fixture.vmId)
            .setRpoTarget(Durations.fromSeconds(10)).build(),
        SetRpoTargetRequest.newBuilder().addVmIds(fixture.vmId).build())) {
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> failover.setRpoTarget(bad));
      assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
      assertTrue(refused.getStatus().getDescription().contains("1 minute to 30 days"),
          refused.getStatus().getDescription());
    }
    assertEquals(Duration.ofMinutes(15), duration(get(failover, fixture.vmId).getRpoTarget()));
    var set = failover.setRpoTarget(SetRpoTargetRequest.newBuilder().addVmIds(fixture.vmId)
        .setRpoTarget(Durations.fromSeconds(600)).build());
    assertEquals(Duration.ofMinutes(10), duration(set.getItems(0).getRpoTarget()));

    try (LogCapture logged = LogCapture.of(RPO_LOG)) {
      server.lifecycle().checkRpo();
      assertEquals(List.of(), logged.messages(), "nothing to say within the target");

      fixture.controller.clock.advance(Duration.ofMinutes(11));
      item = get(failover, fixture.vmId);
      assertTrue(duration(item.getCurrentRpo()).compareTo(Duration.ofMinutes(11)) >= 0);
      assertTrue(item.getRpoWarning().contains("exceeds its target 10m"), item.toString());
      server.metrics().refresh();
      Scrape metrics = Scrape.of(server.metricsAddress().orElseThrow());
      assertEquals(1, metrics.value("failback_item_rpo_warning", "vm", fixture.vmId));
      assertEquals(600, metrics.value("failback_item_rpo_target_seconds", "vm", fixture.vmId));
      assertTrue(metrics.value("failback_item_recovery_point_age_seconds", "vm", fixture.vmId)
          >= 660);
      server.lifecycle().checkRpo();
      server.lifecycle().checkRpo();
      assertEquals(1, logged.events().size(), "logged once: " + logged.messages());
      assertEquals(ch.qos.logback.classic.Level.WARN, logged.events().get(0).getLevel());
      assertTrue(logged.messages().get(0).contains("app-01")
          && logged.messages().get(0).contains("exceeds its target 10m"), logged.messages().toString());

      // The host goes away: the next cycle fails, and the warning says why.
      fixture.agent.close();
      server.lifecycle().replicateAll(java.time.Duration.ofMinutes(5));
      item = get(failover, fixture.vmId);
      assertTrue(item.getRpoWarning().contains("the last delta cycle failed"), item.toString());
      Scrape cycles = Scrape.of(server.metricsAddress().orElseThrow());
      assertEquals(1, cycles.value("failback_replication_cycles_total", "result", "succeeded"));
      assertEquals(1, cycles.value("failback_replication_cycles_total", "result", "failed"));
      assertEquals(1, cycles.value("failback_replication_cycle_duration_seconds_count",
          "result", "failed"));
      server.lifecycle().checkRpo();
      assertEquals(2, logged.events().size(), logged.messages().toString());
      assertTrue(logged.messages().get(1).contains("delta cycle failed"), logged.messages().toString());

      // A cycle that succeeds records a recovery point now and clears both.
      server.protectedItems().recordRecoveryPoint(fixture.vmId,
          fixture.controller.clock.instant());
      item = get(failover, fixture.vmId);
      assertEquals("", item.getRpoWarning());
      server.metrics().refresh();
      assertEquals(0, Scrape.of(server.metricsAddress().orElseThrow())
          .value("failback_item_rpo_warning", "vm", fixture.vmId));
      server.lifecycle().checkRpo();
      assertEquals(3, logged.events().size(), logged.messages().toString());
      assertTrue(logged.messages().get(2).contains("within its target again"));
    }
  }

  private static ProtectedItem get(FailoverServiceGrpc.FailoverServiceBlockingStub failover,
      String vmId) {
    return failover.getProtectedItem(GetProtectedItemRequest.newBuilder().setVmId(vmId).build());
  }

  private static Duration duration(com.google.protobuf.Duration duration) {
    return Duration.ofMillis(Durations.toMillis(duration));
  }
}
