package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.ProtectionState;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bits flipped in the on-prem disks while a failback waits between phase 1 and phase 2 (a
 * faulty disk, a stray writer) are found by re-reading the disks and repaired before the cloud
 * VM stops: the end state is proved from the on-prem bytes, not from what was sent. Before the
 * verify pass existed, phase 2 sent only the cloud's changes and reported the disks equal while
 * {@code qemu-img compare} found them different.
 */
class DriftBetweenPhasesTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void bitsFlippedOnPremDuringTheWaitAreRepairedAndTheProofReadsTheBytes() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    var cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 20, 3);
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);

    // A stray writer (qemu-io, through qemu's own VHDX driver) changes 512 bytes of the
    // dynamic VHDX; a bit flips in the raw disk.
    run("qemu-io", "-f", "vhdx", "-c", "write -P 0x5a " + (3L * 65536 + 1024) + " 512",
        fixture.onPremDisk(0).toString());
    flipBit(fixture.onPremDisk(1), 7L * 65536 + 123);
    assertNotEquals(0, qemuImgCompare(fixture.onPremDisk(0), "vhdx",
        cloud.get(cloudVm).orElseThrow().disks().get(0).path()), "the flip changed nothing");

    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    List<String> steps = done.getTimelineList().stream().map(JobStep::getDescription).toList();
    assertTrue(steps.stream().anyMatch(s -> s.startsWith("verify pass: the on-prem disks were"
        + " read back in full (768 blocks) against the snapshot's digests; 2 blocks had"
        + " changed on-prem since phase 1 and were repaired")), steps.toString());
    assertTrue(indexOf(steps, "verify pass:") < indexOf(steps, "cloud VM off"),
        "the verify pass runs while the cloud VM still runs: " + steps);
    assertTrue(steps.stream().anyMatch(s -> s.contains("p2 (TRACKED) verified: whole-disk"
        + " digests equal on both sides, computed from the on-prem bytes")), steps.toString());
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());

    fixture.assertOnPremEqualsCloud(cloudVm);
    assertEquals(0, qemuImgCompare(fixture.onPremDisk(0), "vhdx",
        cloud.get(cloudVm).orElseThrow().disks().get(0).path()));
  }

  private static int indexOf(List<String> steps, String prefix) {
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no step starts with '" + prefix + "': " + steps);
  }

  private static void flipBit(Path file, long at) throws Exception {
    try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
      raw.seek(at);
      int b = raw.read();
      raw.seek(at);
      raw.write(b ^ 0x20);
    }
  }

  private static int qemuImgCompare(Path onPrem, String format, Path cloud) throws Exception {
    Process process = new ProcessBuilder("qemu-img", "compare", "-f", format, "-F", "vhdx",
        onPrem.toString(), cloud.toString()).redirectErrorStream(true).start();
    process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    return process.exitValue();
  }

  private static String run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), out);
    return out;
  }
}
