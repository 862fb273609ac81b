package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RollbackFailbackRequest;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * RollbackFailback of a recovery plan: the on-prem VMs stop in reverse group order, the cloud
 * VMs start in group order, and every VM's disk is as it was before the plan's failback.
 */
class RollbackFailbackPlanTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aPlanRollsBackInReverseOrderOnPremAndStartsInGroupOrderInTheCloud() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "db", "web");
    fixture.failedOver();
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    fixture.createPlan(channel, "tiers", "db", "web");
    Map<String, byte[]> before = new LinkedHashMap<>();
    for (String name : fixture.ids.keySet()) {
      before.put(name, fixture.onPremBytes(name));
    }
    fixture.awaitState(failover.plannedFailover(PlannedFailoverRequest.newBuilder()
        .setRecoveryPlan("tiers").setDataSync(DataSync.FULL_DOWNLOAD).build()).getJob(),
        JobState.JOB_SUCCEEDED);
    long seed = 40;
    for (String name : fixture.ids.keySet()) {
      fixture.scribbleOnPrem(name, 6, seed++);
    }

    Job done = fixture.awaitState(failover.rollbackFailback(RollbackFailbackRequest
        .newBuilder().setRecoveryPlan("tiers").build()).getJob(), JobState.JOB_SUCCEEDED);

    for (String name : fixture.ids.keySet()) {
      assertEquals(ProtectionState.FAILED_OVER, fixture.item(name).getState(), name);
      assertArrayEquals(before.get(name), fixture.onPremBytes(name), name + " differs from"
          + " before the failback");
    }
    assertEquals(List.of("web", "db"), order(fixture, done, "stopping the on-prem VM"));
    assertEquals(List.of("db", "web"), order(fixture, done, "cloud VM "));
  }

  /** The VMs in the order of their first timeline step starting with {@code prefix}. */
  private static List<String> order(MultiVmFixture fixture, Job job, String prefix) {
    Map<String, String> names = new LinkedHashMap<>();
    fixture.ids.forEach((name, id) -> names.put(id, name));
    return job.getTimelineList().stream().filter(s -> s.getDescription().startsWith(prefix))
        .map(JobStep::getVmId).map(names::get).distinct().toList();
  }
}
