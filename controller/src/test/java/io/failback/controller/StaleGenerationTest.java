package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.sync.SyncProgress;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.Command;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.StopVm;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing by generation: once the agent has seen a VM's newer generation, a command or a sync
 * session carrying an older one (a controller that lost track of the active site) is refused
 * and changes nothing.
 */
class StaleGenerationTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void commandsAndSessionsWithAnOlderGenerationAreRefused() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    String cloudVm = fixture.failedOver();
    fixture.awaitState(fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    long generation = fixture.item().getGeneration();
    assertEquals(PowerState.RUNNING, fixture.agentVm().getPowerState());

    // A controller from before the failover still thinks generation 1 is current.
    CommandResult stop = fixture.command(Command.newBuilder().setStopVm(StopVm.newBuilder()
        .setVmId(fixture.vmId).setTurnOff(true).setGeneration(1)));
    assertTrue(stop.getError().contains("carries generation 1"), stop.toString());
    assertEquals(PowerState.RUNNING, fixture.agentVm().getPowerState(), "a stale stop ran");

    // Off by the current generation, then a stale session must not write the on-prem disk.
    CommandResult current = fixture.command(Command.newBuilder().setStopVm(StopVm.newBuilder()
        .setVmId(fixture.vmId).setTurnOff(true).setGeneration(generation)));
    assertEquals("", current.getError());
    byte[] before = fixture.onPremBytes(0);
    try (BlockDevice cloudDisk = fixture.controller.server.cloud().openDisk(cloudVm, 0, false)) {
      ExecutionException refused = assertThrows(ExecutionException.class, () -> fixture
          .controller.server.syncs().sync("hv-01", StartSync.newBuilder()
              .setParameters(SyncGrpcTestBase.parameters("stale-1", SyncMode.FULL,
                  cloudDisk.size()))
              .setAgentRole(SyncRole.TARGET).setDiskPath(fixture.onPremDisk(0).toString())
              .setGeneration(generation - 1).build(), cloudDisk, Map.of(), checkpoint -> {},
              new SyncProgress()).get(30, TimeUnit.SECONDS));
      assertTrue(refused.getCause().getMessage().contains("carries generation "
          + (generation - 1)), refused.getCause().getMessage());
    }
    assertArrayEquals(before, fixture.onPremBytes(0), "a stale session wrote the disk");
    assertEquals("", fixture.agentVm().getInconsistentReason());
  }
}
