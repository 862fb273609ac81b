package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's disk fills up while a full download writes the on-prem disks (a real ENOSPC: the
 * simulated host lives on a tmpfs with 12 MiB left). The job fails saying which host, which disk file and
 * why; the undo journals put the disks back as they were; once the operator frees space
 * (here: the file system grows) a re-run completes.
 */
class DiskFullFailbackTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aFullHostDiskFailsTheFailbackClearlyRollsItBackAndAReRunCompletesOnceFreed()
      throws Exception {
    Path host = Files.createDirectories(dir.resolve("hv-01"));
    assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=200m", "tmpfs", host.toString()) == 0,
        "mounting a small tmpfs needs root (CI runs as root)");
    cleanup.register(() -> run("umount", "-l", host.toString()));
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));
    // The host's file system now has 12 MiB left; the download needs about 45.
    FileStore store = Files.getFileStore(host);
    long usedKib = (store.getTotalSpace() - store.getUsableSpace()) >> 10;
    assertEquals(0, run("mount", "-o", "remount,size=" + (usedKib + (12 << 10)) + "k",
        host.toString()));

    Job failed = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_FAILED);
    String errors = String.join("\n", failed.getErrorsList()) + failed.getTasksList();
    assertTrue(errors.contains("No space left on device"), errors);
    // Whichever write the full file system refuses first: a block, or the undo journal's copy
    // of what a block is about to overwrite (how far the agent's reading is ahead of its
    // writing decides which).
    assertTrue(errors.contains("of host hv-01: ") && errors.contains(host.toString())
        && (errors.contains("writing block") || errors.contains("preserving blocks of the"
            + " batch")), errors);
    before.assertRolledBack(fixture, failed);

    assertEquals(0, run("mount", "-o", "remount,size=200m", host.toString()));
    Job done = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState(),
        done.toString());
    fixture.assertOnPremEqualsCloud(cloudVm);
    FailbackFullDownloadTest.qemuImgCompareVhdx(fixture.onPremDisk(0),
        fixture.controller.server.cloud().get(cloudVm).orElseThrow().disks().get(0).path());
  }

  private static int run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getInputStream().readAllBytes();
    return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
  }
}
