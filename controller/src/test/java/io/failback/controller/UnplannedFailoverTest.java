package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The forward loop with an unplanned failover: the cloud VM starts from the last replica. */
class UnplannedFailoverTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void cloudVmRunsFromTheLastDeltaCycleNotFromLaterOnPremWrites() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    byte[][] replica = protectAndReplicate(fixture);
    ProtectedItem before = fixture.item();
    // Written on-prem after the last delta cycle: lost to an unplanned failover by definition.
    fixture.scribbleOnPrem(0, 12, 72);
    fixture.scribbleOnPrem(1, 6, 73);

    Job job = fixture.awaitState(lifecycle.unplannedFailover(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertEquals(FailoverDirection.ON_PREM_TO_CLOUD, job.getDirection());
    assertEquals(List.of(), LifecycleFixture.diskTasks(job), "nothing is synced");
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILED_OVER_COMMIT_PENDING, item.getState());
    assertEquals(before.getGeneration() + 1, item.getGeneration());
    assertEquals(before.getLastRecoveryPoint(), item.getLastRecoveryPoint());
    assertEquals(List.of("Commit", "RestartCloudVm"), item.getAllowedActionsList());
    String cloudVm = item.getCloudVmId();
    assertEquals(PowerState.RUNNING, fixture.controller.server.cloud().get(cloudVm)
        .orElseThrow().state());
    assertReplica(fixture, cloudVm, replica);
    // The host was still reachable: the on-prem VM was stopped so two copies never run.
    assertEquals(io.failback.proto.v1.PowerState.OFF, fixture.onPremVm().getPowerState());
    assertTrue(job.getTimelineList().stream().anyMatch(
        s -> s.getDescription().equals("on-prem VM stopped")), job.toString());

    // The loop closes: commit, then a failback overwrites what the replica never had.
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    fixture.controller.server.cloud().guest(cloudVm).scribble(0, 20, 74);
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    // Phase 1 sends the cloud's tracked writes; the verify pass overwrites the host's later ones.
    assertTrue(fixture.awaitState(failback, JobState.JOB_WAITING).getTimelineList().stream()
        .anyMatch(s -> s.getDescription().startsWith("p1 (TRACKED) verified")));
    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("blocks had changed on-prem since phase 1 and were repaired")), done.toString());
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  @Test
  void unplannedFailoverDoesNotWaitForAnUnreachableHost() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    byte[][] replica = protectAndReplicate(fixture);
    fixture.scribbleOnPrem(0, 9, 75);
    fixture.scribbleOnPrem(1, 9, 76);
    fixture.agent.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (fixture.controller.server.registry().isOnline("hv-01")) {
      assertTrue(System.nanoTime() < deadline, "the host never went offline");
      Thread.sleep(20);
    }

    Job job = fixture.awaitState(fixture.controller.server.lifecycle().unplannedFailover(
        fixture.vmId), JobState.JOB_SUCCEEDED);
    assertTrue(job.getTimelineList().stream().anyMatch(s -> s.getDescription().startsWith(
        "on-prem VM not stopped (host hv-01 is offline")), job.toString());
    assertEquals(ProtectionState.FAILED_OVER_COMMIT_PENDING, fixture.item().getState());
    String cloudVm = fixture.item().getCloudVmId();
    assertEquals(PowerState.RUNNING, fixture.controller.server.cloud().get(cloudVm)
        .orElseThrow().state());
    assertReplica(fixture, cloudVm, replica);
  }

  /** Protects the VM and runs a delta cycle over new writes; returns the replicated bytes. */
  private static byte[][] protectAndReplicate(LifecycleFixture fixture) throws Exception {
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    fixture.scribbleOnPrem(0, 10, 70);
    fixture.scribbleOnPrem(1, 10, 71);
    lifecycle.replicateNow(fixture.vmId);
    byte[][] replica = {fixture.onPremBytes(0), fixture.onPremBytes(1)};
    String cloudVm = fixture.item().getCloudVmId();
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(replica[i], fixture.cloudBytes(cloudVm, i), "delta cycle, disk " + i);
    }
    return replica;
  }

  private static void assertReplica(LifecycleFixture fixture, String cloudVm, byte[][] replica)
      throws Exception {
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(replica[i], fixture.cloudBytes(cloudVm, i),
          "cloud disk " + i + " is the last delta cycle's state");
      assertFalse(Arrays.equals(replica[i], fixture.onPremBytes(i)),
          "on-prem disk " + i + " was written after the last cycle");
    }
  }
}
