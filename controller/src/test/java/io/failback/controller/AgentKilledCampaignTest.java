package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * kill -9 of the agent's process at a seeded random moment of each part of a failback (phase
 * 1, the wait for CompleteFailover, the verify pass, phase 2, a full download), or a graceful
 * stop (SIGTERM), then a restart as a service manager does: every time the job finishes by itself, nobody re-runs anything,
 * and the on-prem disks equal the cloud's (qemu-img compare for the VHDX). The moment is chosen
 * by bytes on the link to the agent: a proxy stalls it there, and the agent dies mid-transfer.
 */
class AgentKilledCampaignTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;
  /** KILL (SIGKILL, a crash) or TERM (SIGTERM, a service stop or restart). */
  private String signal;

  @ParameterizedTest(name = "{0}, seed {1}, {2}")
  @CsvSource({"phase 1, 1, KILL", "wait, 2, KILL", "verify pass, 3, KILL", "phase 2, 4, KILL",
      "full download, 5, KILL", "phase 1, 6, TERM", "full download, 7, TERM"})
  void theFailbackCompletesByItselfAfterTheAgentIsKilledAndRestarted(String part, long seed,
      String signal) throws Exception {
    this.signal = signal;
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup,
        PausingProxy.into(proxy, cleanup), settings -> { });
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    FailbackCancelTest.rewriteEverything(cloud, cloudVm);
    Random random = new Random(seed);

    Job job;
    if (part.equals("full download") || part.equals("phase 1")) {
      proxy[0].arm(PausingProxy.Direction.TO_AGENT, (1 << 20) + random.nextInt(30 << 20));
      job = lifecycle.plannedFailover(fixture.vmId, part.equals("phase 1")
          ? DataSync.SYNC_BEFORE_FAILOVER : DataSync.FULL_DOWNLOAD);
      killWhenStalled(fixture, proxy[0], part);
    } else {
      job = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
      fixture.awaitState(job, JobState.JOB_WAITING);
      cloud.guest(cloudVm).scribble((int) (seed % 2), 60, seed);
      if (part.equals("wait")) {
        fixture.agentProcess().kill();
        fixture.agentProcess().start();
        fixture.awaitAgentOnline();
      } else {
        // The verify pass sends the snapshot's digests (about 12 KiB); phase 2 then its data.
        proxy[0].arm(PausingProxy.Direction.TO_AGENT, part.equals("verify pass")
            ? 1 + random.nextInt(8 << 10) : (16 << 10) + random.nextInt(3 << 20));
      }
      lifecycle.completeFailover(job.getId());
      if (!part.equals("wait")) {
        killWhenStalled(fixture, proxy[0], part);
      }
    }
    if (part.equals("phase 1")) {
      fixture.awaitState(job, JobState.JOB_WAITING, java.time.Duration.ofSeconds(90));
      lifecycle.completeFailover(job.getId());
    }
    Job done = fixture.awaitState(job, JobState.JOB_SUCCEEDED, java.time.Duration.ofSeconds(90));
    if (!part.equals("wait")) {
      assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
          .contains("the agent of host hv-01 is back; the sync resumes")), done.toString());
    }
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    fixture.assertOnPremEqualsCloud(cloudVm);
    FailbackFullDownloadTest.qemuImgCompareVhdx(fixture.onPremDisk(0),
        cloud.get(cloudVm).orElseThrow().disks().get(0).path());
  }

  /** Kills the agent once the link stalled in {@code part}, lets the link go, restarts it. */
  private void killWhenStalled(LifecycleFixture fixture, PausingProxy proxy, String part)
      throws Exception {
    assertTrue(proxy.paused().await(60, TimeUnit.SECONDS), part + " never stalled");
    if (part.equals("verify pass") || part.equals("phase 2")) {
      // The moment is in the part named: the verify pass runs before the cloud VM stops.
      assertEquals(part.equals("verify pass") ? PowerState.RUNNING : PowerState.OFF,
          fixture.controller.server.cloud().get(fixture.item().getCloudVmId()).orElseThrow()
              .state(), part);
    }
    if (signal.equals("TERM")) {
      proxy.resume(); // a graceful stop talks to the controller on its way out
      fixture.agentProcess().stop();
    } else {
      fixture.agentProcess().kill();
      proxy.resume();
    }
    fixture.agentProcess().start();
  }
}
