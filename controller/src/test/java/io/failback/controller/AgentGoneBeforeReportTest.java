package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.VirtualMachine;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent that dies after its lanes' last batch but before its report (while it makes the
 * reference point, say) never sends that report. The job must not wait for it in silence: once
 * the agent is gone it says that it waits for the agent, and goes on when one is back.
 */
class AgentGoneBeforeReportTest {
  private static final String HOST = "hv-07";
  private static final long MIB = LifecycleFixture.MIB;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aJobSaysItWaitsForTheAgentAndGoesOnWhenAnotherIsBack() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Path hostDir = dir.resolve(HOST);
    SimulatedHostSeeder.seed(hostDir, HOST, List.of(new VmSpec("db-01", "Off", List.of("LAN"),
        List.of(new DiskSpec(DiskFormat.RAW, 8 * MIB)))));
    RogueAgent silent = agent(fixture, hostDir);
    silent.dropSyncReports = true;
    awaitOnline(fixture);
    VirtualMachine vm = fixture.controller.server.registry().host(HOST).orElseThrow()
        .getInventory().getVirtualMachines(0);
    Path disk = Path.of(vm.getDisks(0).getPath());
    try (BlockDevice device = BlockDevices.open(disk, true)) {
      byte[] data = new byte[(int) (2 * MIB)];
      new Random(7).nextBytes(data);
      device.write(MIB, ByteBuffer.wrap(data));
      device.flush();
    }

    Job protect = fixture.controller.server.lifecycle().enableProtection(vm.getId());
    // Every batch acknowledged, each lane's last checkpoint kept (the agent reports only then):
    // the lanes are done, and the report does not come. Progress alone is seen before the
    // last checkpoint is stored; a loaded machine then resumed from an older one.
    awaitProgress(fixture, protect.getId());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (silent.droppedSyncReports.get() == 0) {
      assertTrue(System.nanoTime() < deadline, "the agent never reported");
      Thread.sleep(20);
    }
    silent.close();
    Job waiting = awaitStep(fixture, protect.getId(), "disk " + disk + ": waiting for the agent"
        + " of host " + HOST);
    assertEquals(JobState.JOB_RUNNING, waiting.getState());
    assertTrue(waiting.getTimelineList().stream().map(JobStep::getDescription).anyMatch(d ->
        d.contains("went away after the session's last batch, before its report")),
        waiting.toString());

    // Another agent process on the host: the job goes on to an exact replica.
    agent(fixture, hostDir);
    Job done = fixture.awaitState(protect, JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().map(JobStep::getDescription).anyMatch(d ->
        d.contains("the agent of host " + HOST + " is back")), done.toString());
    var item = fixture.controller.server.lifecycle().items().stream()
        .filter(i -> i.getVmId().equals(vm.getId())).findFirst().orElseThrow();
    assertEquals(ProtectionState.PROTECTED, item.getState());
    // The first session scanned the whole disk and said so at its batch ends; the resumed one
    // had nothing left to scan. The job counts the first one's work too (it said 0 before).
    long blocks = 8 * MIB / (64 * 1024);
    assertEquals(blocks, done.getProgress().getBlocksScanned(), done.getProgress().toString());
    assertTrue(done.getTimelineList().stream().map(JobStep::getDescription).anyMatch(d ->
        d.contains("; " + blocks + " blocks scanned, ")), done.toString());
    try (BlockDevice onPrem = BlockDevices.open(disk, false);
        BlockDevice cloud = fixture.controller.server.cloud().openDisk(item.getCloudVmId(), 0,
            false)) {
      assertArrayEquals(LifecycleFixture.contents(onPrem), LifecycleFixture.contents(cloud));
    }
  }

  private RogueAgent agent(LifecycleFixture fixture, Path hostDir) throws Exception {
    return cleanup.register(new RogueAgent("localhost:" + fixture.controller.port(),
        fixture.controller.pki.agent(HOST), hostDir, inventory -> inventory, null));
  }

  private static void awaitOnline(LifecycleFixture fixture) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!fixture.controller.server.registry().isOnline(HOST)) {
      assertTrue(System.nanoTime() < deadline, "the agent never registered");
      Thread.sleep(20);
    }
  }

  private static void awaitProgress(LifecycleFixture fixture, String jobId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      JobProgress progress = fixture.controller.server.jobs().get(jobId).getProgress();
      if (progress.getBytesTotal() > 0
          && progress.getBytesScanned() == progress.getBytesTotal()) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "the lanes never finished: " + progress);
      Thread.sleep(20);
    }
  }

  private static Job awaitStep(LifecycleFixture fixture, String jobId, String text)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      Job job = fixture.controller.server.jobs().get(jobId);
      if (job.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(text))) {
        return job;
      }
      assertTrue(System.nanoTime() < deadline, "no step '" + text + "': " + job);
      Thread.sleep(50);
    }
  }
}
