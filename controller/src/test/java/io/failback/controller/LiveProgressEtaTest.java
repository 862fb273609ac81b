package io.failback.controller;

import static io.failback.controller.LifecycleFixture.diskTasks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.cli.FailbackMain;
import io.failback.controller.lifecycle.JobWatch;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobTask;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live progress of a job shows the server's ETA: one meter on the controller's clock makes
 * it, the job adds its disks up, and the CLI prints it as it is. A real agent, over real mutual
 * TLS, with the link held mid-transfer so that the figures stand still.
 */
class LiveProgressEtaTest {
  private static final long MIB = 1 << 20;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void watchShowsTheEtaTheControllerComputed() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup,
        PausingProxy.into(proxy, cleanup), 64 * MIB, "web");
    // Every block holds data: the initial replication sends all 64 MiB, in two lanes of two
    // 16 MiB batches each. The link from the agent stalls after 40 MiB: each lane's first
    // batch is through and durable on the controller, its second one is not.
    Random random = new Random(42);
    byte[] chunk = new byte[(int) MIB];
    try (BlockDevice disk = BlockDevices.open(fixture.onPremDisk("web"), true)) {
      for (long at = 0; at < 64 * MIB; at += MIB) {
        random.nextBytes(chunk);
        disk.write(at, ByteBuffer.wrap(chunk));
      }
      disk.flush();
    }
    proxy[0].arm(PausingProxy.Direction.TO_CONTROLLER, 40 * MIB);
    // Two lanes, asked: the geometry above, whatever round trip a busy machine measures.
    Job protect = fixture.lifecycle().enableProtection(List.of(fixture.ids.get("web")), false,
        io.failback.proto.v1.TransferOptions.newBuilder().setLanesPerDisk(2).build(),
        io.failback.proto.v1.CloudDevices.CLOUD_DEVICES_UNSPECIFIED);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "the replication never got going");

    Job moving = awaitSteady(fixture, protect.getId(), false);
    long settled = moving.getProgress().getBytesScanned();
    assertTrue(0 < settled && settled < moving.getProgress().getBytesTotal(), moving.toString());
    // The agent scans, the controller only receives: while the copy runs, the job shows the
    // blocks the agent's batch ends said it scanned, at least those settled (it was 0).
    long scanned = moving.getProgress().getBlocksScanned();
    assertTrue(settled / (64 * 1024) <= scanned && scanned <= 64 * MIB / (64 * 1024),
        scanned + " blocks scanned, " + settled + " bytes settled: " + moving);
    long read = moving.getProgress().getBytesRead();
    assertTrue(settled <= read && read <= 64 * MIB, read + " bytes read: " + moving);
    // The controller's clock moves one second: each disk then moved its bytes in that second.
    fixture.controller.clock.advance(Duration.ofSeconds(1));
    Job timed = awaitSteady(fixture, protect.getId(), true);
    JobProgress progress = timed.getProgress();
    long left = 0;
    double rate = 0;
    for (JobTask disk : diskTasks(timed)) {
      JobProgress p = disk.getProgress();
      left += p.getBytesTotal() - p.getBytesScanned();
      if (p.getBytesScanned() < p.getBytesTotal()) {
        // Nothing had settled at the start, and all of it within the second the clock moved.
        assertEquals(p.getBytesScanned(), p.getBytesPerSecond(), 1e-6, p.toString());
        rate += p.getBytesPerSecond();
      }
    }
    assertEquals(settled, progress.getBytesScanned(), "the link was held: " + timed);
    assertEquals(rate, progress.getBytesPerSecond(), 1e-6);
    assertEquals(left / rate, Durations.toNanos(progress.getEta()) / 1e9, 1e-6, timed.toString());

    // The CLI's live line, printed while the figures still stand, carries that very ETA.
    CountDownLatch firstLine = new CountDownLatch(1);
    StringWriter out = new StringWriter() {
      @Override
      public void flush() {
        firstLine.countDown();
      }
    };
    TlsFiles operator = fixture.controller.pki.operator("cli");
    CompletableFuture<Integer> watch = CompletableFuture.supplyAsync(() -> FailbackMain.run(
        new String[] {"--controller", fixture.controller.target(), "--ca",
            operator.trustBundle().toString(), "--cert", operator.certificate().toString(),
            "--key", operator.privateKey().toString(), "job", protect.getId(), "--watch"},
        new PrintWriter(out), new PrintWriter(new StringWriter())));
    assertTrue(firstLine.await(30, TimeUnit.SECONDS), "the CLI printed nothing");
    String live = out.toString().lines().findFirst().orElseThrow();
    String eta = String.format(Locale.ROOT, "ETA %.1f s", Durations.toMillis(progress.getEta())
        / 1000.0);
    assertTrue(live.endsWith(eta), "expected the server's " + eta + " in: " + live);
    proxy[0].resume();
    assertEquals(0, watch.get(60, TimeUnit.SECONDS), out.toString());
    fixture.awaitState(protect, JobState.JOB_SUCCEEDED);
  }

  /**
   * Waits, over a watch of the job, until three versions in a row carry the same progress
   * (settled bytes and, when {@code withEta}, an ETA): the link is held and nothing moves.
   */
  private static Job awaitSteady(MultiVmFixture fixture, String jobId, boolean withEta)
      throws Exception {
    Semaphore changed = new Semaphore(0);
    try (JobWatch watch = fixture.controller.server.jobs().watch(jobId, changed::release)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      JobProgress previous = null;
      int same = 0;
      while (true) {
        assertTrue(changed.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS),
            "the job's progress never held still: " + previous);
        Job job = watch.poll();
        if (job == null) {
          continue;
        }
        JobProgress now = job.getProgress();
        boolean usable = now.getBytesScanned() > 0 && (!withEta || now.hasEta());
        same = usable && now.equals(previous) ? same + 1 : 0;
        previous = now;
        if (same == 3) {
          return job;
        }
      }
    }
  }
}
