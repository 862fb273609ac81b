package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.bench.WanRelay;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller measures each host's round trip on the control stream and gives an upload
 * (the agent sends) the lanes that round trip needs; a download keeps the default. The agent
 * runs in its own process and dials the controller through the WAN relay, which adds the
 * round trip; every upload lane has a connection of its own, counted at the relay.
 */
class UploadLanesFromRoundTripTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aLongRoundTripGivesUploadsMoreLanesAndDownloadsTheDefault() throws Exception {
    AtomicReference<WanRelay> relay = new AtomicReference<>();
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup, port -> {
      try {
        WanRelay wan = cleanup.register(new WanRelay(new InetSocketAddress("localhost", port)));
        wan.set(160, 0);
        relay.set(wan);
        return "localhost:" + wan.port();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, controller -> controller.agentProcessArgs = List.of("--upload-connections", "16"));
    AgentRegistry registry = fixture.controller.server.registry();
    // The least of the probes: the relay's 160 ms and what TLS and two JVMs add to it.
    Duration measured = awaitRoundTrip(registry, Duration.ofMillis(160), Duration.ofMillis(200));
    assertEquals(measured.toNanos(), com.google.protobuf.util.Durations.toNanos(
        registry.host("hv-01").orElseThrow().getRoundTrip()), "shown on the host");
    assertEquals(1, relay.get().connectionsAccepted(), "the control connection");

    // 1 Gbit/s at 160 to 200 ms keeps 20 to 25 MB in flight: 5 or 6 lanes of 4 MiB, 3 for
    // each of 2 disks.
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    Job protect = fixture.awaitState(lifecycle.enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertSaid(protect, "3 lanes per disk (chosen: ");
    assertSaid(protect, "; lanes chosen: round trip 1");
    assertEquals(3, protect.getResume().getUploadLanesOrThrow(fixture.vmId));
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
    assertEquals(1 + 6, relay.get().connectionsAccepted(), "a connection per upload lane");
    // Idle upload connections close (TransportLimits.UPLOAD_IDLE): the next upload tunes
    // windows of its own instead of those this one's path left.
    awaitOpenConnections(relay.get(), 1);

    // A failover to the cloud is an upload too; a failback by full download is not.
    Job failover = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    assertSaid(failover, "3 lanes per disk (chosen: ");
    // Kept with the job: a continued pass uses them, as its durable lane checkpoints need.
    assertEquals(3, failover.getResume().getUploadLanesOrThrow(fixture.vmId));
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    byte[] written = new byte[1 << 20];
    new java.util.Random(77).nextBytes(written);
    fixture.controller.server.cloud().guest(cloudVm).write(0, 1 << 20, written);
    Job failback = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    assertSaid(failback, "2 lanes per disk (chosen: ");
    assertTrue(failback.getTimelineList().stream().noneMatch(s -> s.getDescription()
        .contains("lanes chosen")), failback.getTimelineList().toString());
    assertEquals(1 + 6 + 6, relay.get().connectionsAccepted(),
        "the failover's lanes had new connections, the download rode the control connection");
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);

    // The link gets short: the next probes say so, and an upload takes the default again.
    relay.get().set(0, 0);
    awaitRoundTrip(registry, Duration.ZERO, Duration.ofMillis(20));
    fixture.scribbleOnPrem(0, 6, 78);
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertSaid(reverse, "2 lanes per disk (chosen: ");
    assertSaid(reverse, "; lanes chosen: round trip ");
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
  }

  /** Waits until only {@code expected} connections are open through the relay. */
  private static void awaitOpenConnections(WanRelay relay, int expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (relay.connectionsOpen() != expected && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(expected, relay.connectionsOpen(), "connections open through the relay");
  }

  /** Waits until the host's round trip is measured within {@code [least, most)}. */
  private static Duration awaitRoundTrip(AgentRegistry registry, Duration least, Duration most)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      var trip = registry.roundTrip("hv-01");
      if (trip.isPresent() && trip.get().compareTo(least) >= 0
          && trip.get().compareTo(most) < 0) {
        return trip.get();
      }
      assertTrue(System.nanoTime() < deadline, "round trip " + trip + " not in [" + least
          + ", " + most + ")");
      Thread.sleep(20);
    }
  }

  private static void assertSaid(Job job, String step) {
    assertTrue(job.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains(step)), job.getTimelineList().toString());
  }
}
