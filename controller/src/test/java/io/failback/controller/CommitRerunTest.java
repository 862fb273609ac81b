package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failback commit that kept the seed and deleted the cloud VM, then stopped, can finish; one
 * cut by a controller restart finishes by itself.
 */
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

  @Test
  void aCommitCutByAControllerRestartFinishesByItself() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD),
        JobState.JOB_SUCCEEDED);
    // What a controller stopped just after Commit began leaves: the job running, the item
    // FAILED_BACK_COMMIT_PENDING, the cloud VM still there.
    var jobs = fixture.controller.server.jobs();
    Job commit = jobs.create("Commit", FailoverDirection.CLOUD_TO_ON_PREM, "",
        Map.of(fixture.vmId, List.of()), false);
    jobs.transition(commit.getId(), JobState.JOB_RUNNING);
    fixture.controller.restart();

    Job done = fixture.awaitState(jobs(fixture).get(commit.getId()), JobState.JOB_SUCCEEDED);
    assertEquals(1, done.getResume().getResumed(), done.toString());
    assertEquals(ProtectionState.FAILED_BACK, fixture.item().getState());
    assertTrue(fixture.controller.server.cloud().get(cloudVm).isEmpty(), "cloud VM kept");
    // The seed it kept is the cloud VM's final state: reverse replication sends only changes.
    fixture.awaitAgentOnline();
    fixture.awaitState(fixture.controller.server.lifecycle().reverseReplicate(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
  }

  private static io.failback.controller.lifecycle.Jobs jobs(LifecycleFixture fixture) {
    return fixture.controller.server.jobs();
  }
}
