package io.failback.controller;

import static io.failback.controller.LifecycleFixture.diskTasks;
import static io.failback.controller.LifecycleFixture.vmTask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Failback with data sync FULL_DOWNLOAD over real mTLS: no phase 1, no waiting, no loss. */
class FailbackFullDownloadTest {
  private static final int BLOCK = 64 * 1024;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void fullDownloadSucceedsDirectlyWithTheOnPremDisksEqualToTheCloudOnes() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    long generation = fixture.item().getGeneration();

    // The cloud VM runs and writes, including zeros over a block that holds data on-prem (a
    // full download that only sent non-zero blocks would leave the old data there) and the
    // last block of each disk.
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 40, 31);
    cloud.guest(cloudVm).scribble(1, 25, 32);
    long dataBlock = firstNonZeroBlock(fixture.onPremBytes(0));
    cloud.guest(cloudVm).write(0, dataBlock * BLOCK, new byte[BLOCK]);
    Random random = new Random(33);
    for (int disk = 0; disk < 2; disk++) {
      byte[] tail = new byte[BLOCK];
      random.nextBytes(tail);
      long size = cloud.get(cloudVm).orElseThrow().disks().get(disk).virtualSize();
      cloud.guest(cloudVm).write(disk, size - BLOCK, tail);
    }

    Job started = lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD);
    assertEquals(FailoverDirection.CLOUD_TO_ON_PREM, started.getDirection());
    // await() returns at WAITING too: a full download must never stop there.
    Job done = fixture.awaitState(started, JobState.JOB_SUCCEEDED);
    assertFalse(done.getTimelineList().stream().anyMatch(
        s -> s.getDescription().contains("waiting for CompleteFailover")), done.toString());
    assertTrue(done.getTimelineList().stream().anyMatch(
        s -> s.getDescription().contains("full (FULL) verified")), done.toString());

    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, item.getState());
    assertEquals(generation + 1, item.getGeneration(), "the active site moved back on-prem");
    assertEquals("", item.getInconsistentReason());
    assertEquals(List.of("Commit", "RollbackFailback"), item.getAllowedActionsList());
    assertEquals(io.failback.proto.v1.PowerState.RUNNING, fixture.onPremVm().getPowerState());
    assertEquals("", fixture.agentVm().getInconsistentReason());
    assertEquals(PowerState.OFF, cloud.get(cloudVm).orElseThrow().state(), "cloud VM kept, off");

    // No data loss: the cloud VM is off, so its disks are still what they were at shutdown.
    fixture.assertOnPremEqualsCloud(cloudVm);
    qemuImgCompareVhdx(fixture.onPremDisk(0),
        cloud.get(cloudVm).orElseThrow().disks().get(0).path());

    List<JobTask> disks = diskTasks(done);
    assertEquals(2, disks.size(), done.toString());
    for (JobTask task : disks) {
      assertFalse(task.getSourceDigest().isEmpty(), task.toString());
      assertEquals(task.getSourceDigest(), task.getTargetDigest(), task.toString());
      // No checksum pass decides what to send: every block crosses, as bytes or as zeros.
      // The blocks the on-prem disk held already are left unwritten, and counted equal.
      JobProgress progress = task.getProgress();
      assertEquals(progress.getBlocksScanned(), progress.getBlocksSent()
          + progress.getBlocksZero(), "every block sent: " + task);
      assertTrue(progress.getBlocksEqual() > 0 && progress.getBlocksEqual()
          <= progress.getBlocksScanned(), "held blocks counted equal: " + task);
      assertEquals(task.getProgress().getBytesTotal(), task.getProgress().getBytesScanned(),
          task.toString());
    }
    assertTrue(vmTask(done).hasDowntime(), done.toString());
    assertStepOrder(done, "cloud VM off", "on-prem VM started");
    // The warm-up ran beside the shutdown (here instant, so it may have settled nothing) and
    // ended with it; its synthetic blocks are in no disk's progress above.
    assertStepOrder(done, "warm-up of the transfer path", "cloud VM off");
  }

  private static long firstNonZeroBlock(byte[] disk) {
    for (int at = 0; at < disk.length; at++) {
      if (disk[at] != 0) {
        return at / BLOCK;
      }
    }
    throw new AssertionError("the on-prem disk holds no data");
  }

  /** Downtime runs from the cloud VM going off to the on-prem VM starting, in that order. */
  private static void assertStepOrder(Job job, String first, String second) {
    List<String> steps = job.getTimelineList().stream().map(JobStep::getDescription).toList();
    int a = indexOf(steps, first);
    int b = indexOf(steps, second);
    assertTrue(a >= 0 && b > a, "expected '" + first + "' before '" + second + "': " + steps);
  }

  private static int indexOf(List<String> steps, String fragment) {
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).contains(fragment)) {
        return i;
      }
    }
    return -1;
  }

  /** qemu-img reads both VHDX files with its own parser: an independent check of the format. */
  static void qemuImgCompareVhdx(Path onPrem, Path cloud) throws Exception {
    qemuImgCompare(onPrem, "vhdx", cloud, "vhdx");
  }

  /** qemu-img, an independent judge, finds the two images' contents identical. */
  static void qemuImgCompare(Path a, String formatA, Path b, String formatB) throws Exception {
    Process process;
    try {
      process = new ProcessBuilder("qemu-img", "compare", "-f", formatA, "-F", formatB,
          a.toString(), b.toString()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("qemu-img is required (apt-get install qemu-utils): "
          + e.getMessage(), e);
    }
    String output = new String(process.getInputStream().readAllBytes(),
        StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "qemu-img compare did not finish");
    assertEquals(0, process.exitValue(), "qemu-img compare " + a + " " + b + ": " + output);
  }
}
