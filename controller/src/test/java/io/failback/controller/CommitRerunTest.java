package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A failback commit that kept the seed and deleted the cloud VM, then stopped, can finish. */
class CommitRerunTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aCommitRunAgainAfterTheCloudVmWasDeletedKeepsTheSeedAndFinishes() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD),
        JobState.JOB_SUCCEEDED);
    // What an interrupted commit leaves: the seed written, the cloud VM deleted, the item
    // still FAILED_BACK_COMMIT_PENDING.
    Cloud cloud = fixture.controller.server.cloud();
    Path seeds = dir.resolve("state/seeds").resolve(fixture.vmId);
    Files.createDirectories(seeds);
    for (int i = 0; i < 2; i++) {
      try (BlockDevice disk = cloud.openDisk(cloudVm, i, false);
          BlockDevice seed = BlockDevices.createRawSparse(seeds.resolve("disk-" + i + ".raw"),
              disk.size())) {
        seed.write(0, java.nio.ByteBuffer.wrap(LifecycleFixture.contents(disk)));
      }
    }
    cloud.delete(cloudVm);

    Job commit = fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertTrue(commit.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "was deleted by an earlier commit; its seed is kept")), commit.toString());
    assertEquals(ProtectionState.FAILED_BACK, fixture.item().getState());
    fixture.awaitState(lifecycle.reverseReplicate(fixture.vmId), JobState.JOB_SUCCEEDED);
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
  }
}
