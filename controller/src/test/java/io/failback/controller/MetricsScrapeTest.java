package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Timestamps;
import io.failback.certs.Pem;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobState;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both processes' plain-HTTP metrics ports scraped around real transfers, in each direction:
 * the counters add up to exactly the bytes and blocks the jobs report, and the agent's frame
 * counters mirror the controller's.
 */
class MetricsScrapeTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void countersEqualTheJobsBytesAndBlocksInBothDirections() throws Exception {
    int agentPort = freePort();
    InetSocketAddress agentMetrics = new InetSocketAddress("127.0.0.1", agentPort);
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup, controller -> {
      controller.metricsAddress = new InetSocketAddress("127.0.0.1", 0);
      controller.agentProcessArgs = List.of("--metrics-address", String.valueOf(agentPort));
    });
    InetSocketAddress controllerMetrics =
        fixture.controller.server.metricsAddress().orElseThrow();
    probes(controllerMetrics);
    awaitReady(agentMetrics);
    probes(agentMetrics);

    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);

    // A failback by full download: one pass, the controller the source.
    Scrape controllerBefore = Scrape.of(controllerMetrics);
    Scrape agentBefore = Scrape.of(agentMetrics);
    Job failback = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED, Duration.ofSeconds(60));
    Scrape controllerAfter = Scrape.of(controllerMetrics);
    assertMoved(failback.getProgress(), "cloud_to_onprem", controllerBefore, controllerAfter,
        agentBefore, agentSettled(agentMetrics, "cloud_to_onprem", controllerBefore,
            controllerAfter, agentBefore));

    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    // The on-prem guest writes; reverse replication, the agent the source, sends that.
    fixture.scribbleOnPrem(0, 4, 41);
    fixture.scribbleOnPrem(1, 3, 42);
    controllerBefore = Scrape.of(controllerMetrics);
    agentBefore = Scrape.of(agentMetrics);
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(fixture.vmId),
        JobState.JOB_SUCCEEDED, Duration.ofSeconds(60));
    controllerAfter = Scrape.of(controllerMetrics);
    assertMoved(reverse.getProgress(), "onprem_to_cloud", controllerBefore, controllerAfter,
        agentBefore, agentSettled(agentMetrics, "onprem_to_cloud", controllerBefore,
            controllerAfter, agentBefore));

    fixture.controller.server.metrics().refresh();
    Scrape after = Scrape.of(controllerMetrics);
    assertEquals(1, after.value("failback_agents_connected"));
    assertEquals(0, after.value("failback_agent_commands_pending"), "every command answered");
    assertEquals(1, after.value("failback_agent_online", "host", "hv-01"));
    double age = after.value("failback_agent_heartbeat_age_seconds", "host", "hv-01");
    assertTrue(age >= 0 && age < 10, "heartbeat age " + age);
    // Probed after registering and with every heartbeat, answered by the agent's process.
    double roundTrip = after.value("failback_agent_round_trip_seconds", "host", "hv-01");
    assertTrue(roundTrip > 0 && roundTrip < 1, "round trip " + roundTrip);
    double rpo = after.value("failback_item_recovery_point_age_seconds", "vm", fixture.vmId);
    assertTrue(rpo >= 0 && rpo < 120, "recovery point age " + rpo);
    assertTrue(after.value("failback_jobs_ended_total", "kind", "PlannedFailover",
        "state", "succeeded") >= 2, "the failover and the failback ended");
    assertTrue(after.value("failback_job_duration_seconds_count", "kind", "PlannedFailover",
        "state", "succeeded") >= 2);
    assertTrue(after.value("failback_downtime_seconds_count", "kind", "PlannedFailover",
        "which", "measured") >= 1);
    assertEquals(0, after.sum("failback_jobs", "kind", "PlannedFailover", "state", "running"),
        "nothing runs any more");
    assertTrue(after.sum("grpc_server_processing_duration_seconds_count",
        "service", "failback.v1.AgentService") > 0, "the agents' calls are counted");
    assertTrue(after.has("jvm_memory_used_bytes"));
    // Certificates: the controller's own and its CA's as its files hold them; the agent's as
    // it presented it on its control connection, as the host's view shows it, and as the agent
    // holds it.
    assertEquals(notAfter(fixture.controller.controllerTls.certificate()),
        after.value("failback_controller_certificate_not_after_seconds"));
    assertEquals(notAfter(fixture.controller.controllerTls.trustBundle()),
        after.value("failback_controller_ca_not_after_seconds"));
    double agentCertificate = after.value("failback_agent_certificate_not_after_seconds",
        "host", "hv-01");
    assertTrue(agentCertificate > System.currentTimeMillis() / 1000.0, "" + agentCertificate);
    assertEquals(agentCertificate, Timestamps.toMillis(fixture.controller.server.registry()
        .host("hv-01").orElseThrow().getCertificateNotAfter()) / 1000.0);
    Scrape agent = Scrape.of(agentMetrics);
    assertEquals(agentCertificate, agent.value("failback_agent_certificate_not_after_seconds",
        "host", "hv-01"));
    assertEquals(1, agent.value("failback_agent_connected", "host", "hv-01"));
    assertEquals(4, agent.value("failback_agent_upload_connections", "host", "hv-01"));
    // Protection and reverse replication opened upload lanes; every one was given back.
    assertEquals(0, agent.value("failback_agent_upload_lanes", "host", "hv-01"));
  }

  private static double notAfter(Path pem) throws Exception {
    return Pem.readCertificates(pem).get(0).getNotAfter().getTime() / 1000.0;
  }

  /**
   * The growth of each counter between two scrapes equals the job's progress exactly: blocks
   * scanned and equal and bytes read as the source side counted them (the agent's, where it
   * sends), zero and sent blocks as the controller did; the agent's frames mirror the
   * controller's.
   */
  private static void assertMoved(JobProgress job, String direction, Scrape controllerBefore,
      Scrape controllerAfter, Scrape agentBefore, Scrape agentAfter) {
    String[] dir = {"direction", direction};
    boolean agentSends = direction.equals("onprem_to_cloud");
    Scrape sourceBefore = agentSends ? agentBefore : controllerBefore;
    Scrape sourceAfter = agentSends ? agentAfter : controllerAfter;
    for (String result : List.of("scanned", "equal", "zero", "sent")) {
      long expected = switch (result) {
        case "scanned" -> job.getBlocksScanned();
        case "equal" -> job.getBlocksEqual();
        case "zero" -> job.getBlocksZero();
        default -> job.getBlocksSent();
      };
      boolean sourceCounts = result.equals("scanned") || result.equals("equal");
      assertEquals(expected, grown(sourceCounts ? sourceBefore : controllerBefore,
          sourceCounts ? sourceAfter : controllerAfter, "failback_sync_blocks_total",
          "direction", direction, "result", result), result + " blocks, " + direction);
    }
    assertTrue(job.getBlocksSent() > 0, "something moved: " + job);
    assertTrue(job.getBlocksScanned() > 0, "the source scanned: " + job);
    assertEquals(job.getBytesRead(), grown(sourceBefore, sourceAfter,
        "failback_sync_disk_read_bytes_total", dir), "bytes read by the source, " + direction);
    double sent = grown(controllerBefore, controllerAfter, "failback_sync_wire_sent_bytes_total",
        dir);
    double received = grown(controllerBefore, controllerAfter,
        "failback_sync_wire_received_bytes_total", dir);
    assertEquals(job.getBytesOnWire(), sent + received, "frame bytes both ways, " + direction);
    assertEquals(sent, grown(agentBefore, agentAfter, "failback_sync_wire_received_bytes_total",
        dir), "what the controller sent the agent received, " + direction);
    assertEquals(received, grown(agentBefore, agentAfter, "failback_sync_wire_sent_bytes_total",
        dir), "what the agent sent the controller received, " + direction);
    assertEquals(job.getBlocksSent(), grown(agentBefore, agentAfter,
        "failback_sync_blocks_total", "direction", direction, "result", "sent"),
        "blocks sent as the agent counted them, " + direction);
  }

  /**
   * The agent's scrape once it has counted every frame the controller sent: the job ends when
   * the controller's side does, and the session's last frames may still be on their way to the
   * agent process (seen under load). Gives up after 10 s; the exact comparison then fails.
   */
  private static Scrape agentSettled(InetSocketAddress agent, String direction,
      Scrape controllerBefore, Scrape controllerAfter, Scrape agentBefore) throws Exception {
    double sent = grown(controllerBefore, controllerAfter, "failback_sync_wire_sent_bytes_total",
        "direction", direction);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      Scrape now = Scrape.of(agent);
      if (grown(agentBefore, now, "failback_sync_wire_received_bytes_total", "direction",
          direction) >= sent || System.nanoTime() > deadline) {
        return now;
      }
      Thread.sleep(50);
    }
  }

  private static double grown(Scrape before, Scrape after, String name, String... labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }

  private static void probes(InetSocketAddress address) throws Exception {
    assertEquals(200, Scrape.get(address, "/healthz").statusCode());
    assertEquals(200, Scrape.get(address, "/readyz").statusCode());
    var other = Scrape.get(address, "/v1/jobs");
    assertEquals(404, other.statusCode());
    assertTrue(other.body().contains("/metrics, /healthz and /readyz"), other.body());
  }

  private static void awaitReady(InetSocketAddress address) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        if (Scrape.get(address, "/readyz").statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // the agent process is still starting
      }
      assertTrue(System.nanoTime() < deadline, "the agent's /readyz never said ready");
      Thread.sleep(100);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
