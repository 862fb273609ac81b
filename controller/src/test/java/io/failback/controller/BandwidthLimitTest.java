package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.BandwidthLimit;
import io.failback.proto.v1.BandwidthScope;
import io.failback.proto.v1.BandwidthServiceGrpc;
import io.failback.proto.v1.BandwidthServiceGrpc.BandwidthServiceBlockingStub;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc.FailoverServiceBlockingStub;
import io.failback.proto.v1.GetJobRequest;
import io.failback.proto.v1.HostServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.JobServiceGrpc.JobServiceBlockingStub;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.ListAuditEventsRequest;
import io.failback.proto.v1.ListBandwidthLimitsRequest;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.SetBandwidthLimitRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bandwidth limits over the operator's API, on real transfers in both directions: the agent as
 * the source (protection; the controller paces what it takes in) and as the target (a full
 * download; the controller paces what it sends), one of them changed while the job runs.
 *
 * <p>Nothing here waits for a rate: a limit's proof is a count. The token bucket lets at most
 * its burst plus the rate times the time through, so a transfer of B bytes under a limit R
 * cannot end in less than (B - burst) / R, however fast or slow the machine is.
 */
class BandwidthLimitTest {
  /** The host's limit, 16 Mbit/s, and the job's, 8 Mbit/s, in bytes per second. */
  private static final long HOST_RATE = 2_000_000;
  private static final long JOB_RATE = 1_000_000;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void limitsHoldInBothDirectionsChangeWhileAJobRunsAndShowInTheJob() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    BandwidthServiceBlockingStub bandwidth = BandwidthServiceGrpc.newBlockingStub(channel);
    FailoverServiceBlockingStub failover = FailoverServiceGrpc.newBlockingStub(channel);
    JobServiceBlockingStub jobs = JobServiceGrpc.newBlockingStub(channel);

    BandwidthLimit host = bandwidth.setBandwidthLimit(SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_HOST).setName("HV-01").setSchedule("16Mbit/s")
        .build());
    assertEquals("hv-01", host.getName());
    assertEquals(16_000_000, host.getCurrentBitsPerSecond());
    assertEquals("operator", host.getSource());
    assertTrue(host.getSetBy().endsWith("/operator/ops"), host.toString());

    // The agent sends: the controller takes each frame in at the host's rate.
    long started = System.nanoTime();
    Job protect = failover.enableProtection(EnableProtectionRequest.newBuilder()
        .addVmIds(fixture.vmId).build()).getJob();
    Job running = awaitBandwidth(jobs, protect.getId());
    assertEquals(16_000_000, running.getBandwidth().getLimitBitsPerSecond());
    assertEquals("host hv-01 (always)", running.getBandwidth().getLimitedBy());
    Job protected_ = fixture.awaitState(protect, JobState.JOB_SUCCEEDED);
    assertNoFasterThan(protected_, HOST_RATE, started);
    // A link this slow is worth zstd's CPU: the controller chose it from the limit.
    assertTrue(protected_.getTimelineList().stream().anyMatch(step -> step.getDescription()
        .contains("transfer settings: compression zstd level 6, 2 lanes per disk (chosen: the"
            + " bandwidth limit in force, 16 Mbit/s; lanes chosen: round trip ")
        && step.getDescription().contains(" at the bandwidth limit's 16 Mbit/s: ")),
        protected_.getTimelineList().toString());
    // Metrics: the limit in force (applied each second) and the time lanes waited for it.
    Scrape scraped = Scrape.parse(fixture.controller.server.metrics().registry().scrape());
    for (int i = 0; i < 50 && !scraped.has("failback_bandwidth_limit_bits_per_second"); i++) {
      Thread.sleep(100);
      scraped = Scrape.parse(fixture.controller.server.metrics().registry().scrape());
    }
    assertEquals(16_000_000, scraped.value("failback_bandwidth_limit_bits_per_second",
        "scope", "host", "name", "hv-01"));
    assertTrue(scraped.value("failback_bandwidth_wait_seconds_total") > 1,
        "the lanes waited for the limit");

    fixture.awaitState(fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    fixture.awaitState(fixture.controller.server.lifecycle().commit(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();

    // The controller sends (a full download); the job gets its own, lower limit meanwhile.
    started = System.nanoTime();
    Job download = failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.vmId).setDataSync(DataSync.FULL_DOWNLOAD).build()).getJob();
    awaitBandwidth(jobs, download.getId());
    BandwidthLimit job = bandwidth.setBandwidthLimit(SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_JOB).setName(download.getId())
        .setSchedule("8Mbit/s").build());
    assertEquals(8_000_000, job.getCurrentBitsPerSecond());
    Job limited = jobs.getJob(GetJobRequest.newBuilder().setJobId(download.getId()).build());
    if (limited.getState() == JobState.JOB_RUNNING) {
      assertEquals("job " + download.getId() + " (always)",
          limited.getBandwidth().getLimitedBy());
      assertEquals(8_000_000, limited.getBandwidth().getLimitBitsPerSecond());
    }
    Job home = fixture.awaitState(download, JobState.JOB_SUCCEEDED);
    assertNoFasterThan(home, HOST_RATE, started);
    fixture.assertOnPremEqualsCloud(cloudVm);

    // A job's limit ends with the job; an ended job takes none.
    assertTrue(bandwidth.listBandwidthLimits(ListBandwidthLimitsRequest.getDefaultInstance())
        .getLimitsList().stream().noneMatch(l -> l.getScope() == BandwidthScope.BANDWIDTH_JOB));
    StatusRuntimeException ended = assertThrows(StatusRuntimeException.class,
        () -> bandwidth.setBandwidthLimit(SetBandwidthLimitRequest.newBuilder()
            .setScope(BandwidthScope.BANDWIDTH_JOB).setName(download.getId())
            .setSchedule("16Mbit/s").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, ended.getStatus().getCode());
    assertEquals(JobState.JOB_SUCCEEDED.name(), jobs.getJob(GetJobRequest.newBuilder()
        .setJobId(download.getId()).build()).getState().name());
    assertEquals(0, jobs.getJob(GetJobRequest.newBuilder().setJobId(download.getId()).build())
        .getBandwidth().getLimitBitsPerSecond(), "an ended job shows no live bandwidth");

    var trail = HostServiceGrpc.newBlockingStub(channel).listAuditEvents(
        ListAuditEventsRequest.newBuilder().setTarget("host/HV-01").build()).getEventsList();
    assertTrue(trail.stream().anyMatch(e -> e.getAction().endsWith("/SetBandwidthLimit")
        && e.getActor().endsWith("/operator/ops")), trail.toString());
    trail = HostServiceGrpc.newBlockingStub(channel).listAuditEvents(
        ListAuditEventsRequest.newBuilder().setTarget("job/" + download.getId()).build())
        .getEventsList();
    assertTrue(trail.stream().anyMatch(e -> e.getAction().endsWith("/SetBandwidthLimit")),
        trail.toString());

    // Removing the host's limit leaves only the configured global one (none).
    BandwidthLimit removed = bandwidth.setBandwidthLimit(SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_HOST).setName("hv-01").build());
    assertEquals(0, removed.getCurrentBitsPerSecond());
    var left = bandwidth.listBandwidthLimits(ListBandwidthLimitsRequest.getDefaultInstance())
        .getLimitsList();
    assertEquals(1, left.size(), left.toString());
    assertEquals("configuration", left.get(0).getSource());
    assertEquals(JOB_RATE * 8, job.getCurrentBitsPerSecond());
  }

  @Test
  void badRequestsAreRefusedAndChangeNothing() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    ManagedChannel channel = controller.channel(controller.pki.operator("ops"));
    BandwidthServiceBlockingStub bandwidth = BandwidthServiceGrpc.newBlockingStub(channel);
    assertRefused(bandwidth, SetBandwidthLimitRequest.newBuilder().setName("hv-01")
        .setSchedule("10Mbit/s"), Status.Code.INVALID_ARGUMENT, "scope must be");
    assertRefused(bandwidth, SetBandwidthLimitRequest.newBuilder().setScopeValue(9)
        .setSchedule("10Mbit/s"), Status.Code.INVALID_ARGUMENT, "9 is not a BandwidthScope");
    assertRefused(bandwidth, SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_HOST).setName("hv-01").setSchedule("fast"),
        Status.Code.INVALID_ARGUMENT, "schedule: 'fast' is neither a window");
    assertRefused(bandwidth, SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_HOST).setName("hv-01")
        .setSchedule("Mon-Fri 08:00-25:00=10Mbit/s"), Status.Code.INVALID_ARGUMENT,
        "25:00 is not a time of day");
    assertRefused(bandwidth, SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_HOST).setName("../etc").setSchedule("10Mbit/s"),
        Status.Code.INVALID_ARGUMENT, "name");
    assertRefused(bandwidth, SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_GLOBAL).setName("x").setSchedule("10Mbit/s"),
        Status.Code.INVALID_ARGUMENT, "name must be empty");
    assertRefused(bandwidth, SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_JOB).setName("0f1e0000-0000-4000-8000-0000000000aa")
        .setSchedule("10Mbit/s"), Status.Code.NOT_FOUND, "0f1e0000");
    assertRefused(bandwidth, SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_RECOVERY_PLAN).setName("nope")
        .setSchedule("10Mbit/s"), Status.Code.NOT_FOUND, "nope");
    ManagedChannel readOnly = controller.channel(controller.pki.readOnlyOperator("auditor"));
    assertRefused(BandwidthServiceGrpc.newBlockingStub(readOnly), SetBandwidthLimitRequest
        .newBuilder().setScope(BandwidthScope.BANDWIDTH_GLOBAL).setSchedule("10Mbit/s"),
        Status.Code.PERMISSION_DENIED, "read-only operator");
    var limits = bandwidth.listBandwidthLimits(ListBandwidthLimitsRequest.getDefaultInstance())
        .getLimitsList();
    assertEquals(1, limits.size(), limits.toString());
    assertEquals("configuration", limits.get(0).getSource());
    assertEquals("unlimited", limits.get(0).getSchedule());
    // The read-only operator reads them.
    assertEquals(limits, BandwidthServiceGrpc.newBlockingStub(readOnly)
        .listBandwidthLimits(ListBandwidthLimitsRequest.getDefaultInstance()).getLimitsList());
  }

  private static void assertRefused(BandwidthServiceBlockingStub stub,
      SetBandwidthLimitRequest.Builder request, Status.Code code, String says) {
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> stub.setBandwidthLimit(request.build()));
    assertEquals(code, refused.getStatus().getCode(), refused.getStatus().toString());
    assertTrue(refused.getStatus().getDescription().contains(says),
        refused.getStatus().getDescription());
  }

  /** Polls the job until its transfers show a bandwidth (they run), or it ended. */
  private static Job awaitBandwidth(JobServiceBlockingStub jobs, String jobId)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Job job = jobs.getJob(GetJobRequest.newBuilder().setJobId(jobId).build());
      if (job.hasBandwidth()) {
        return job;
      }
      assertTrue(job.getState() == JobState.JOB_RUNNING
          || job.getState() == JobState.JOB_QUEUED, "job ended unseen: " + job);
      assertTrue(System.nanoTime() < deadline, "no bandwidth shown: " + job);
      Thread.sleep(20);
    }
  }

  /**
   * The job's transfers, B bytes both ways as its tasks counted them, cannot have taken less
   * than (B - burst) / rate: what the bucket lets through.
   */
  private static void assertNoFasterThan(Job job, long rate, long startedNanos) {
    long bytes = 0;
    for (JobTask task : job.getTasksList()) {
      bytes += task.getPhasesCount() == 0 ? task.getProgress().getBytesOnWire()
          : task.getPhasesList().stream().mapToLong(p -> p.getProgress().getBytesOnWire())
              .sum();
    }
    double seconds = (System.nanoTime() - startedNanos) / 1e9;
    long burst = Math.max(256 * 1024, rate / 2);
    assertTrue(bytes > 2 * burst, "too little moved to tell: " + bytes + " bytes");
    double least = (bytes - burst) / (double) rate;
    assertTrue(seconds >= least, job.getKind() + " moved " + bytes + " bytes in " + seconds
        + " s; at " + rate + " B/s it needs at least " + least + " s");
  }
}
