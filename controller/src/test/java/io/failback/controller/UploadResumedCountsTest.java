package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.AgentClient;
import io.failback.agent.AgentConfig;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.DiskSpec;
import io.failback.agent.hyperv.simulated.SimulatedHostSeeder.VmSpec;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.TestPki;
import io.failback.common.tls.TlsFiles;
import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.TransferOptions;
import io.failback.proto.v1.VirtualMachine;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upload whose agent session fails while the agent process lives on (its read point kept)
 * resumes in a new session from the last acknowledged batches; the agent's report then counts
 * only that second session, and the job must still count what the first one scanned and read.
 * Seen from outside (docs/BENCHMARKS.md, "Certificate renewals during replication"): a
 * protection whose streams the controller cut when the certificate they were made with
 * expired said "3072 blocks scanned" for a disk of 16,384. The same here: the agent's
 * certificate is renewed mid-copy and the old one revoked.
 */
class UploadResumedCountsTest {
  private static final long MIB = 1 << 20;
  private static final long BLOCKS = 64 * MIB / (64 * 1024);

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aResumedUploadCountsWhatItsFirstSessionScanned() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    Path hostDir = dir.resolve("hv-01");
    SimulatedHostSeeder.seed(hostDir, "hv-01", List.of(new VmSpec("web", "Running",
        List.of("LAN"), List.of(new DiskSpec(DiskFormat.RAW, 64 * MIB)))));
    VirtualMachine vm = new SimulatedHypervisor(hostDir).inventory().getVirtualMachines(0);
    Random random = new Random(11);
    byte[] chunk = new byte[(int) MIB];
    try (BlockDevice disk = BlockDevices.open(Path.of(vm.getDisks(0).getPath()), true)) {
      for (long at = 0; at < 64 * MIB; at += MIB) {
        random.nextBytes(chunk);
        disk.write(at, ByteBuffer.wrap(chunk));
      }
      disk.flush();
    }
    PausingProxy proxy = cleanup.register(PausingProxy.before(controller.port()));
    TlsFiles files = controller.pki.agent("hv-01");
    TlsFiles first = TestPki.copy(files, dir.resolve("first"));
    cleanup.register(AgentClient.start(AgentConfig.withDefaults("localhost:" + proxy.port(),
            files, hostDir).withBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .withReloadPeriod(Duration.ofMillis(100)), Clock.systemUTC(),
        new ControlSession.SessionListener() {}));
    awaitOnline(controller);

    // Two lanes of two 16 MiB batches: after 40 MiB each lane's first batch is acknowledged.
    proxy.arm(PausingProxy.Direction.TO_CONTROLLER, 40 * MIB);
    Job protect = controller.server.lifecycle().enableProtection(List.of(vm.getId()), false,
        TransferOptions.newBuilder().setLanesPerDisk(2).build(),
        io.failback.proto.v1.CloudDevices.CLOUD_DEVICES_UNSPECIFIED);
    assertTrue(proxy.paused().await(60, TimeUnit.SECONDS), "the replication never got going");
    // A renewal while the link is held; the agent's upload lanes stay on the first
    // certificate's connections, which the controller cuts once that one is revoked.
    controller.pki.agent("hv-01");
    Thread.sleep(500);
    controller.pki.revoke(first);
    assertTrue(controller.server.revocations().reloadIfChanged());
    proxy.resume();

    Job done = awaitSettled(controller, protect.getId());
    assertEquals(JobState.JOB_SUCCEEDED, done.getState(), done.toString());
    assertTrue(done.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains("is back; the sync resumes at lane")), done.toString());
    JobProgress progress = done.getProgress();
    assertTrue(progress.getBlocksScanned() >= BLOCKS, progress.toString());
    assertTrue(progress.getBytesRead() >= 64 * MIB, progress.toString());
    assertTrue(progress.getBytesOnWire() >= 64 * MIB, progress.toString());
    String step = done.getTimelineList().stream().map(JobStep::getDescription)
        .filter(d -> d.contains(" blocks scanned, ")).findFirst().orElseThrow();
    long scanned = Long.parseLong(step.replaceAll(".*; (\\d+) blocks scanned, .*", "$1"));
    assertEquals(progress.getBlocksScanned(), scanned, step);
    long wire = (long) (Double.parseDouble(step.replaceAll(".*, ([0-9.]+) MiB on the wire.*",
        "$1")) * MIB);
    assertTrue(wire >= 64 * MIB, step);
  }

  private static void awaitOnline(ControllerFixture controller) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!controller.server.registry().isOnline("hv-01")) {
      assertTrue(System.nanoTime() < deadline, "agent never registered");
      Thread.sleep(20);
    }
  }

  private static Job awaitSettled(ControllerFixture controller, String jobId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    Job now = controller.server.jobs().get(jobId);
    while (now.getState() == JobState.JOB_RUNNING || now.getState() == JobState.JOB_QUEUED) {
      assertTrue(System.nanoTime() < deadline, "job did not settle: " + now);
      Thread.sleep(20);
      now = controller.server.jobs().get(jobId);
    }
    return now;
  }
}
