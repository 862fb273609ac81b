package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.CleanupTestFailbackRequest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.TestFailbackRequest;
import io.failback.proto.v1.VirtualMachine;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recovery plan's failback drill: the drill VMs start in group order, each holds its cloud
 * VM's disk, the job predicts the plan's downtime, the on-prem disks stay as they were, and the
 * plan's cleanup removes every drill VM.
 */
class TestFailbackPlanTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aPlanDrillStartsInGroupOrderAndItsCleanupRemovesEveryDrillVm() throws Exception {
    MultiVmFixture fixture = new MultiVmFixture(dir, cleanup, "db", "web");
    fixture.failedOver();
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    cleanup.register(channel::shutdownNow);
    var failover = FailoverServiceGrpc.newBlockingStub(channel);
    fixture.createPlan(channel, "tiers", "db", "web");
    long seed = 60;
    Map<String, byte[]> before = new LinkedHashMap<>();
    for (String name : fixture.ids.keySet()) {
      fixture.controller.server.cloud().guest(fixture.item(name).getCloudVmId())
          .scribble(0, 6, seed++);
      before.put(name, fixture.onPremBytes(name));
    }

    Job done = fixture.awaitState(failover.testFailback(TestFailbackRequest.newBuilder()
        .setRecoveryPlan("tiers").build()).getJob(), JobState.JOB_SUCCEEDED);

    assertEquals(List.of("db", "web"), order(fixture, done, "drill VM ", "runs isolated"));
    // What the real failback would cost from here (the simulations stop and start in ~0 ms).
    assertTrue(done.hasPredictedDowntime() && done.getTasksList().stream()
        .filter(t -> t.getDiskPath().isEmpty())
        .allMatch(t -> t.getDowntimePrediction().getSendBytesPerSecond() > 0), done.toString());
    for (String name : fixture.ids.keySet()) {
      ProtectedItem item = fixture.item(name);
      assertEquals(ProtectionState.FAILED_OVER, item.getState(), name);
      assertTrue(item.getDrill().getRunning(), item.toString());
      VirtualMachine drill = hostVms(fixture).stream()
          .filter(v -> v.getId().equals(item.getDrill().getVmId())).findFirst().orElseThrow();
      assertArrayEquals(fixture.cloudBytes(name), LifecycleFixture.contents(
          io.failback.common.disk.BlockDevices.open(Path.of(drill.getDisks(0).getPath()),
              false)), name + ": the drill disk differs from the cloud disk");
      assertArrayEquals(before.get(name), fixture.onPremBytes(name), name + " changed");
    }

    fixture.awaitState(failover.cleanupTestFailback(CleanupTestFailbackRequest.newBuilder()
        .setRecoveryPlan("tiers").build()).getJob(), JobState.JOB_SUCCEEDED);
    for (String name : fixture.ids.keySet()) {
      assertFalse(fixture.item(name).hasDrill(), name);
    }
    assertEquals(fixture.ids.values().stream().sorted().toList(), hostVms(fixture).stream()
        .map(VirtualMachine::getId).sorted().toList(), "a drill VM was left on the host");
  }

  private static List<VirtualMachine> hostVms(MultiVmFixture fixture) throws Exception {
    return new SimulatedHypervisor(fixture.hostDir).inventory().getVirtualMachinesList();
  }

  /** The VMs in the order of their first timeline step with {@code prefix} and {@code part}. */
  private static List<String> order(MultiVmFixture fixture, Job job, String prefix,
      String part) {
    Map<String, String> names = new LinkedHashMap<>();
    fixture.ids.forEach((name, id) -> names.put(id, name));
    return job.getTimelineList().stream().filter(s -> s.getDescription().startsWith(prefix)
        && s.getDescription().contains(part)).map(JobStep::getVmId).map(names::get)
        .distinct().toList();
  }
}
