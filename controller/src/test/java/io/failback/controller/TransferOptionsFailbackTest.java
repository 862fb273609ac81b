package io.failback.controller;

import static io.failback.controller.LifecycleFixture.diskTasks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.Compression;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.TransferOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failback's transfers use the compression and lanes the operator asked for, say so in the
 * job, and end with the same disks whatever they were.
 */
class TransferOptionsFailbackTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void theAskedCompressionAndLanesAreUsedSaidAndLeaveTheSameDisks() throws Exception {
    Job zstd = failBack("zstd", TransferOptions.newBuilder()
        .setCompression(Compression.COMPRESSION_ZSTD).setCompressionLevel(6)
        .setLanesPerDisk(3).build(),
        "transfer settings: compression zstd level 6, 3 lanes per disk (asked for the job)");
    Job none = failBack("none", TransferOptions.newBuilder()
        .setCompression(Compression.COMPRESSION_NONE).setLanesPerDisk(1).build(),
        "transfer settings: compression none, 1 lane per disk (asked for the job)");

    // The same disks and the same 8 MiB of log-like text written in the cloud: uncompressed,
    // every non-zero block crosses whole; zstd sends that text at a small part of its size.
    long zstdWire = wire(zstd);
    long noneWire = wire(none);
    assertTrue(noneWire >= 8 << 20, noneWire + " on the wire");
    assertTrue(zstdWire < noneWire - 6 * (1 << 20), zstdWire + " vs " + noneWire);
  }

  /**
   * Protection's and reverse replication's own replication take the lanes and compression
   * asked for the job (each upload lane has a connection of its own): more lanes for a long
   * link. Both end with the cloud replica equal to the on-prem disk.
   */
  @Test
  void protectionAndReverseReplicationUseTheAskedLanes() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    var lifecycle = fixture.controller.server.lifecycle();
    TransferOptions four = TransferOptions.newBuilder().setLanesPerDisk(4)
        .setCompression(Compression.COMPRESSION_NONE).build();
    Job protect = fixture.awaitState(lifecycle.enableProtection(List.of(fixture.vmId), false,
        four, io.failback.proto.v1.CloudDevices.CLOUD_DEVICES_UNSPECIFIED), JobState.JOB_SUCCEEDED);
    assertSaid(protect, "transfer settings: compression none, 4 lanes per disk (asked for the"
        + " job)");
    assertEquals(four, protect.getResume().getTransfer(), "kept for a continued job");
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());

    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    TransferOptions three = TransferOptions.newBuilder().setLanesPerDisk(3).build();
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(
        Targets.of(List.of(fixture.vmId)), three), JobState.JOB_SUCCEEDED);
    // Lanes asked, compression left to the controller: it says what it chose, with 3 lanes.
    assertSaid(reverse, "3 lanes per disk (chosen: ");
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
    assertTrue(!cloudVm.equals(fixture.item().getCloudVmId()), "a new cloud replica");
  }

  private static void assertSaid(Job job, String step) {
    assertTrue(job.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains(step)), job.getTimelineList().toString());
  }

  private Job failBack(String name, TransferOptions options, String step) throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(Files.createDirectories(dir.resolve(name)),
        cleanup);
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).write(0, 1 << 20, logLines(8 << 20));
    Job done = fixture.awaitState(fixture.controller.server.lifecycle().plannedFailover(
        Targets.of(List.of(fixture.vmId)), DataSync.FULL_DOWNLOAD, Optional.empty(),
        Optional.empty(), options), JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains(step)), done.getTimelineList().toString());
    assertEquals(options, done.getResume().getTransfer(), "kept for a continued job");
    fixture.assertOnPremEqualsCloud(cloudVm);
    FailbackFullDownloadTest.qemuImgCompareVhdx(fixture.onPremDisk(0),
        cloud.get(cloudVm).orElseThrow().disks().get(0).path());
    return done;
  }

  private static long wire(Job job) {
    return diskTasks(job).stream().mapToLong(t -> t.getProgress().getBytesOnWire()).sum();
  }

  private static byte[] logLines(int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; text.length() < length; i++) {
      text.append("2026-12-04T10:").append(i % 60).append(" INFO app-01 request ").append(i)
          .append(" served in ").append(i % 97).append(" ms\n");
    }
    return text.substring(0, length).getBytes(StandardCharsets.US_ASCII);
  }
}
