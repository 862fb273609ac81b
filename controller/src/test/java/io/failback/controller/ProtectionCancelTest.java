package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * CancelJob on the on-prem-to-cloud jobs really stops them: the job ends CANCELLED only once
 * its work has stopped, and the item is back where it was, ready for another try.
 */
class ProtectionCancelTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private PausingProxy proxy;

  @Test
  void cancelledInitialReplicationLeavesNoReplicaAndCanBeRunAgain() throws Exception {
    LifecycleFixture fixture = proxiedFixture();
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    // The disks hold 5 MiB of data: the copy stalls mid-way, its sessions running.
    proxy.arm(PausingProxy.Direction.TO_CONTROLLER, 2L * LifecycleFixture.MIB);
    Job enable = lifecycle.enableProtection(fixture.vmId);
    assertTrue(proxy.paused().await(60, TimeUnit.SECONDS), "the copy never got going");
    fixture.controller.server.jobs().cancel(enable.getId());
    proxy.resume();

    Job cancelled = fixture.awaitState(enable, JobState.JOB_CANCELLED);
    assertTrue(cancelled.getTimelineList().stream().anyMatch(s -> s.getDescription().equals(
        "cancelled: cancelled during data transfer; the item is UNPROTECTED again")), cancelled.toString());
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.UNPROTECTED, item.getState());
    assertEquals(List.of("EnableProtection", "DisableProtection"), item.getAllowedActionsList());
    assertEquals("", item.getCloudVmId());
    assertEquals(List.of(), fixture.controller.server.cloud().list(), "half-made replica kept");

    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
  }

  @Test
  void cancelledPlannedFailoverKeepsTheOnPremVmActive() throws Exception {
    LifecycleFixture fixture = proxiedFixture();
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    ProtectedItem protectedItem = fixture.item();
    String cloudVm = protectedItem.getCloudVmId();

    // The stop command is held back: the cancel comes while the job waits for the on-prem VM.
    proxy.arm(PausingProxy.Direction.TO_AGENT, 0);
    Job failover = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy.paused().await(60, TimeUnit.SECONDS), "nothing went to the agent");
    fixture.controller.server.jobs().cancel(failover.getId());
    proxy.resume();

    fixture.awaitState(failover, JobState.JOB_CANCELLED);
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.PROTECTED, item.getState());
    assertEquals(protectedItem.getGeneration(), item.getGeneration(), "the site never moved");
    assertEquals(PowerState.OFF, fixture.controller.server.cloud().get(cloudVm).orElseThrow()
        .state());
    assertEquals(io.failback.proto.v1.PowerState.RUNNING, fixture.onPremVm().getPowerState());

    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_OVER_COMMIT_PENDING, fixture.item().getState());
  }

  /**
   * The link stays stalled after the cancel: the job ends within seconds all the same, and the
   * stop it had sent, which lands once the link moves, does not leave the on-prem VM off.
   */
  @Test
  void aFailoverCancelledWhileTheLinkStallsEndsWithinSecondsAndTheOnPremVmRunsAfterwards()
      throws Exception {
    List<String> power = new java.util.concurrent.CopyOnWriteArrayList<>();
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> {
      proxy = cleanup.register(PausingProxy.before(port));
      return "localhost:" + proxy.port();
    }, host -> { }, false, driver -> new io.failback.agent.hyperv.ForwardingHypervisor(driver) {
      @Override
      public void stopVm(String vmId, boolean turnOff) throws java.io.IOException {
        power.add("stop");
        super.stopVm(vmId, turnOff);
      }

      @Override
      public void startVm(String vmId) throws java.io.IOException {
        power.add("start");
        super.startVm(vmId);
      }
    });
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    proxy.arm(PausingProxy.Direction.TO_AGENT, 0);
    Job failover = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy.paused().await(60, TimeUnit.SECONDS), "nothing went to the agent");
    AgentKilledMidFailbackTest.awaitStep(fixture, failover, "stopping the on-prem VM");

    Job ended = AgentKilledMidFailbackTest.cancelWithinSeconds(fixture, failover);
    assertTrue(ended.toString().contains("the on-prem VM may be off (host hv-01 does not answer"
        + " within 3 s); it is started as soon as host hv-01 answers"), ended.toString());
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    assertTrue(fixture.item().getOnPremStartDue(), fixture.item().toString());

    proxy.resume();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (fixture.item().getOnPremStartDue()) {
      assertTrue(System.nanoTime() < deadline, "the due start never ran: " + fixture.item());
      Thread.sleep(50);
    }
    assertEquals(io.failback.proto.v1.PowerState.RUNNING, fixture.onPremVm().getPowerState());
    assertEquals(List.of("stop", "start"), power, "the late stop, then the due start");
  }

  /** The agent dials the controller through {@link #proxy}. */
  private LifecycleFixture proxiedFixture() throws Exception {
    return new LifecycleFixture(dir, cleanup, port -> {
      proxy = cleanup.register(PausingProxy.before(port));
      return "localhost:" + proxy.port();
    });
  }
}
