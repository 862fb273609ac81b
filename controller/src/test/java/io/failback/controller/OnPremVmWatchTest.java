package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two live copies: the on-prem VM of a failed-over item runs again on its host (the host came
 * back after a disaster and started its VMs). The item and the metric say so while the host's
 * agent reports it; a failback turns it off first and its job says what that costs; an offline
 * host's old report of a running VM is no such news.
 */
class OnPremVmWatchTest {
  /** How long a test's sweep may wait for the hosts' rounds. */
  private static final Duration SWEEP = Duration.ofMinutes(1);
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aRunningOnPremVmIsSaidAndTheFailbackSaysItTurnedItOff() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    String cloudVm = fixture.failedOver();
    ControllerServer server = fixture.controller.server;
    Lifecycle lifecycle = server.lifecycle();
    lifecycle.settleDue(SWEEP);
    assertEquals("", fixture.item().getOnPremVmWarning(), "the on-prem VM is off");
    assertEquals(0, live(server, fixture.vmId));

    new SimulatedHypervisor(fixture.hostDir).startVm(fixture.vmId); // on the host itself
    awaitReported(fixture, PowerState.RUNNING);
    lifecycle.settleDue(SWEEP);
    String warning = fixture.item().getOnPremVmWarning();
    assertTrue(warning.startsWith("on-prem VM app-01 is Running on host hv-01 (seen ")
        && warning.endsWith("while its cloud copy is the active one: two live copies. Turn it"
            + " off on the host; a failback turns it off first and overwrites what it wrote"
            + " since the failover (kept in the undo journals until commit)"), warning);
    assertEquals(1, live(server, fixture.vmId));
    lifecycle.settleDue(SWEEP);
    assertEquals(warning, fixture.item().getOnPremVmWarning(), "the first sighting is kept");
    fixture.scribbleOnPrem(0, 5, 81); // what the second copy wrote

    Job phaseOne = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_WAITING);
    assertTrue(phaseOne.getTimelineList().stream().anyMatch(s -> s.getDescription().equals(
        "on-prem VM app-01 was Running on host hv-01 while its cloud copy was the active one"
            + " (two live copies): turned off before any write. What it wrote since the"
            + " failover is overwritten by this failback; the undo journals keep it until"
            + " commit (RollbackFailback puts it back)")), phaseOne.toString());
    lifecycle.settleDue(SWEEP);
    assertEquals("", fixture.item().getOnPremVmWarning(), "a job acts on it");
    fixture.awaitState(lifecycle.completeFailover(phaseOne.getId()), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /** The disaster itself: the host goes with its VM running, the cloud copy starts. */
  @Test
  void anOfflineHostsLastReportIsNoNews() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    awaitReported(fixture, PowerState.RUNNING);
    fixture.agent.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (fixture.controller.server.registry().isOnline("hv-01")) {
      assertTrue(System.nanoTime() < deadline, "the host never went offline");
      Thread.sleep(20);
    }
    fixture.awaitState(lifecycle.unplannedFailover(fixture.vmId), JobState.JOB_SUCCEEDED);
    lifecycle.settleDue(SWEEP);
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILED_OVER_COMMIT_PENDING, item.getState());
    assertEquals("", item.getOnPremVmWarning(), "the host is offline: its report is old");
  }

  private static void awaitReported(LifecycleFixture fixture, PowerState state)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Optional<VirtualMachine> vm = fixture.controller.server.registry().host("hv-01")
          .orElseThrow().getInventory().getVirtualMachinesList().stream()
          .filter(v -> v.getId().equals(fixture.vmId)).findFirst();
      if (vm.isPresent() && vm.get().getPowerState() == state) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "never reported " + state + ": " + vm);
      Thread.sleep(10);
    }
  }

  /** The controller's gauge of the item's on-prem VM running too, as a scrape shows it. */
  private static double live(ControllerServer server, String vmId) {
    server.metrics().refresh();
    return Scrape.parse(server.metrics().registry().scrape())
        .value("failback_item_onprem_vm_live", "vm", vmId);
  }
}
