package io.failback.controller;

import static io.failback.controller.MultiVmLifecycleTest.vmTask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.text.ByteText;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.cli.FailbackMain;
import io.failback.proto.v1.CompleteFailoverRequest;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DowntimePrediction;
import io.failback.proto.v1.FailoverEstimate;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.PhaseProgress;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectedItem;
import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failback's predicted downtime is live while the job waits for CompleteFailover, made of
 * what the controller measured (the send rate while sending, a transfer's fixed cost, the VM
 * stops and starts), kept next to the measured downtime afterwards; and the pre-flight's
 * durations use the same measurements. Over real mutual TLS with a real agent; the
 * controller's clock stands still, so every stop and start measures exactly zero.
 */
class DowntimePredictionTest {
  private static final long MIB = 1 << 20;
  private static final int BLOCK = 64 * 1024;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void thePredictionFollowsTheCloudVmsWritesAndStaysBesideTheMeasuredDowntime()
      throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, 16 * MIB, "web", "db");
    fixture.failedOver();
    // The cloud lost its tracking since the failover (as in a crash): phase 1 is a checksum
    // pass of every block, not only the cloud VM's tracked writes, and the pre-flight below
    // takes up its rates.
    for (String id : fixture.allIds()) {
      ProtectedItem item = fixture.lifecycle().item(id);
      fixture.controller.server.cloud().releaseSnapshot(
          item.getFailoverBaseline().getCloudTrackingPoint());
    }
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    String web = fixture.ids.get("web");
    // 32 blocks (2 MiB) written in the cloud: phase 1 sends them, which measures the link.
    writeBlocks(fixture, "web", 0, 32, 1);

    Job waiting = fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest
        .newBuilder().addVmIds(web).setDataSync(DataSync.SYNC_BEFORE_FAILOVER).build())
        .getJob(), JobState.JOB_WAITING);
    DowntimePrediction before = vmTask(waiting, web).getDowntimePrediction();
    assertEquals(0, before.getPendingBytes(), before.toString());
    // Measured but for the cloud VM's stop, never made yet: the same guests' stop on-prem (at
    // the failover) stands in, and the prediction says so.
    assertEquals(List.of("cloud VM stop (taken as the VMs' stop on hv-01)"),
        before.getDefaultsList(), before.toString());
    assertTrue(before.getSendBytesPerSecond() > 0, before.toString());
    assertAddsUp(before);

    // The cloud VM writes 20 more blocks while the job waits: the prediction follows.
    writeBlocks(fixture, "web", 100, 20, 2);
    Job after = awaitJob(fixture, waiting.getId(), job -> vmTask(job, web)
        .getDowntimePrediction().getPendingBytes() == 20L * BLOCK);
    DowntimePrediction live = vmTask(after, web).getDowntimePrediction();
    assertEquals(before.getSendBytesPerSecond(), live.getSendBytesPerSecond());
    assertEquals(Durations.toMillis(before.getFixedCost())
        + Math.round(20.0 * BLOCK / live.getSendBytesPerSecond() * 1000),
        Durations.toMillis(live.getTransfer()), 1, live.toString());
    assertAddsUp(live);
    assertEquals(live.getTotal(), vmTask(after, web).getPredictedDowntime());
    assertEquals(live.getTotal(), after.getPredictedDowntime());
    assertEquals(0, after.getPredictedManualActions());

    // The pre-flight of the other VM uses what this host measured, hashing not counted.
    FailoverEstimate estimate = failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .addVmIds(fixture.ids.get("db")).setValidateOnly(true).build()).getPreflight()
        .getEstimate();
    assertTrue(estimate.getLinkRateMeasured() && estimate.getChecksumRateMeasured(),
        estimate.toString());
    // Its tracking point is gone too: its phase 1 would compare the checksums of every block.
    assertEquals(estimate.getBytesTotal(), estimate.getBytesChecksummedSyncBefore());
    // Before any phase 2 with the host, phase 2 is expected at the rate phase 1 sent at and
    // with phase 1's fixed cost.
    assertEquals(live.getSendBytesPerSecond(), estimate.getLinkBytesPerSecond());
    assertEquals(Durations.toMillis(live.getFixedCost()),
        Durations.toMillis(estimate.getFixedCost()));
    assertEquals(Durations.toNanos(estimate.getFixedCost()) / 1e9
        + estimate.getBytesChecksummedSyncBefore() / estimate.getChecksumBytesPerSecond()
        + estimate.getBytesToSendSyncBefore() / estimate.getLinkBytesPerSecond(),
        Durations.toNanos(estimate.getDurationSyncBefore()) / 1e9, 1e-6, estimate.toString());
    assertEquals(Durations.toNanos(estimate.getFixedCost()) / 1e9
        + estimate.getBytesToSendFullDownload() / estimate.getLinkBytesPerSecond(),
        Durations.toNanos(estimate.getDurationFullDownload()) / 1e9, 1e-6);

    // The verify pass, with the cloud VM still running, takes 700 ms of the controller's clock
    // (on a large disk it takes minutes); then the cloud VM is off for 300 ms before phase 2.
    // Only those 300 ms are downtime, the job's as the VM's. (Under the fixture's heartbeat
    // timeout of 2 s: this clock is the heartbeats' too.)
    moveTheClockAtSteps(fixture, waiting.getId(), Map.of("verify pass:", Duration.ofMillis(700),
        "cloud VM off;", Duration.ofMillis(300)));
    Job done = fixture.awaitState(failover.completeFailover(CompleteFailoverRequest
        .newBuilder().setJobId(waiting.getId()).build()).getJob(), JobState.JOB_SUCCEEDED);
    // The prediction stands as CompleteFailover found it, beside the measured downtime.
    assertEquals(live, vmTask(done, web).getDowntimePrediction());
    assertEquals(live.getTotal(), done.getPredictedDowntime());
    assertEquals(Durations.fromMillis(300), vmTask(done, web).getDowntime());
    assertEquals(Durations.fromMillis(300), done.getDowntime(), "the verify pass is no downtime");
    String shown = cli(fixture, "job", done.getId());
    assertTrue(shown.contains("  downtime 0.3 s (predicted "
        + JobView.seconds(live.getTotal()) + ")"), shown);
    assertTrue(shown.contains("    downtime 0.3 s (predicted "
        + JobView.seconds(live.getTotal()) + ")"), shown);
    assertTrue(shown.contains("1.3 MiB at "), shown);
    // The progress line shows phase 2 alone; the passes line what every pass moved.
    JobTask disk = done.getTasksList().stream().filter(t -> !t.getDiskPath().isEmpty())
        .findFirst().orElseThrow();
    assertEquals(List.of("phase 1", "verify pass", "phase 2"), disk.getPhasesList().stream()
        .map(PhaseProgress::getPhase).toList());
    long all = disk.getPhasesList().stream().mapToLong(p -> p.getProgress().getBytesOnWire())
        .sum();
    assertTrue(shown.contains("  passes   phase 1 " + human(disk.getPhases(0)) + ", verify pass "
        + human(disk.getPhases(1)) + ", phase 2 " + human(disk.getPhases(2)) + "; "
        + ByteText.human(all) + " in all"), shown);
    fixture.assertOnPremEqualsCloud("web");
  }

  /**
   * Moves the controller's clock by the given time when job {@code jobId} first records a step
   * starting with each key. The job's own thread writes its steps and hears of them before it
   * goes on, so the time passes exactly there.
   */
  static void moveTheClockAtSteps(MultiVmFixture fixture, String jobId,
      Map<String, Duration> moves) {
    Set<String> moved = ConcurrentHashMap.newKeySet();
    fixture.controller.server.jobs().addListener(job -> {
      if (!job.getId().equals(jobId)) {
        return;
      }
      for (JobStep step : job.getTimelineList()) {
        moves.forEach((prefix, by) -> {
          if (step.getDescription().startsWith(prefix) && moved.add(prefix)) {
            fixture.controller.clock.advance(by);
          }
        });
      }
    });
  }

  private static String human(PhaseProgress phase) {
    return ByteText.human(phase.getProgress().getBytesOnWire());
  }

  /** total = stop + transfer + start + waiting, and a lone VM waits for nobody. */
  static void assertAddsUp(DowntimePrediction p) {
    assertEquals(Durations.ZERO, p.getStop(), "the clock stood still: " + p);
    assertEquals(Durations.ZERO, p.getStart(), "the clock stood still: " + p);
    assertEquals(Durations.toMillis(p.getTransfer()), Durations.toMillis(p.getTotal()), 1,
        p.toString());
  }

  /** Writes {@code count} blocks of random bytes from block {@code first} on, in the cloud. */
  static void writeBlocks(MultiVmFixture fixture, String name, int first, int count, long seed)
      throws Exception {
    byte[] data = new byte[BLOCK];
    Random random = new Random(seed);
    var guest = fixture.controller.server.cloud().guest(fixture.item(name).getCloudVmId());
    for (int i = 0; i < count; i++) {
      random.nextBytes(data);
      guest.write(0, (long) (first + i) * BLOCK, data);
    }
  }

  /** Waits until the job, as the controller has it, satisfies {@code condition}. */
  static Job awaitJob(MultiVmFixture fixture, String jobId, Predicate<Job> condition)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Job job = fixture.controller.server.jobs().get(jobId);
    while (!condition.test(job)) {
      assertTrue(System.nanoTime() < deadline, "the job never got there: " + job);
      Thread.sleep(20);
      job = fixture.controller.server.jobs().get(jobId);
    }
    return job;
  }

  static String cli(MultiVmFixture fixture, String... command) throws Exception {
    TlsFiles operator = fixture.controller.pki.operator("cli");
    String[] args = new String[8 + command.length];
    String[] connection = {"--controller", fixture.controller.target(), "--ca",
        operator.trustBundle().toString(), "--cert", operator.certificate().toString(), "--key",
        operator.privateKey().toString()};
    System.arraycopy(connection, 0, args, 0, 8);
    System.arraycopy(command, 0, args, 8, command.length);
    StringWriter out = new StringWriter();
    assertEquals(0, FailbackMain.run(args, new PrintWriter(out), new PrintWriter(
        new StringWriter())), out.toString());
    return out.toString();
  }

  /** The CLI's way of writing a duration, e.g. "1.3 s". */
  private static final class JobView {
    static String seconds(com.google.protobuf.Duration duration) {
      return String.format(java.util.Locale.ROOT, "%.1f s", Durations.toMillis(duration)
          / 1000.0);
    }
  }
}
