package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.SimulatedGuest;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.Targets;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverEstimate;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.PhaseProgress;
import io.failback.proto.v1.ProtectedItem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failback after a planned failover sends in phase 1 only the blocks the cloud VM wrote since
 * it started (the cloud's tracking point, the replica's digest sets), over real mTLS to the
 * agent's simulated host; whatever else differs on-prem the verify pass finds and repairs, and
 * where the tracked phase 1 cannot run it compares every block's checksums as before.
 */
class TrackedPhaseOneTest {
  private static final int BLOCK = 64 * 1024;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void phaseOneSendsOnlyWhatTheCloudVmWroteSinceThePlannedFailover() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = failOverPlanned(fixture);
    ProtectedItem item = fixture.item();
    String trackingPoint = item.getFailoverBaseline().getCloudTrackingPoint();
    assertFalse(trackingPoint.isEmpty(), item.toString());
    assertEquals(2, item.getFailoverBaseline().getDisksCount(), item.toString());
    assertEquals(List.of(trackingPoint), fixture.controller.server.cloud().snapshots(cloudVm));
    BitSet[] written = {write(fixture, cloudVm, 0, 7, 1), write(fixture, cloudVm, 1, 3, 2)};
    // The pre-flight knows: no checksum pass, only the sampled differences to send.
    FailoverEstimate estimate = lifecycle.preflight(Targets.of(List.of(fixture.vmId)),
        DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty()).getEstimate();
    assertEquals(0, estimate.getBytesChecksummedSyncBefore(), estimate.toString());
    assertEquals(Durations.toNanos(estimate.getFixedCost()) / 1e9
        + estimate.getBytesToSendSyncBefore() / estimate.getLinkBytesPerSecond(),
        Durations.toNanos(estimate.getDurationSyncBefore()) / 1e9, 1e-6, estimate.toString());

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertStep(waiting, "phase 1 sends only the 10 blocks the cloud VM wrote since the"
        + " failover");
    assertStep(waiting, "p1 (TRACKED) verified: whole-disk digests equal on both sides; 10"
        + " blocks scanned, 10 sent");
    List<JobTask> tasks = LifecycleFixture.diskTasks(waiting);
    for (int i = 0; i < 2; i++) {
      PhaseProgress phaseOne = phase(tasks.get(i), "phase 1");
      assertEquals(written[i].cardinality(), phaseOne.getProgress().getBlocksSent(),
          phaseOne.toString());
    }
    // The guest goes on writing; phase 2 sends that, and the verify pass finds nothing else.
    BitSet late = write(fixture, cloudVm, 0, 2, 3);
    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertStep(done, "verify pass: the on-prem disks were read back in full (768 blocks)"
        + " against the snapshot's digests; nothing had changed since phase 1");
    assertEquals(late.cardinality(), phase(LifecycleFixture.diskTasks(done).get(0), "phase 2")
        .getProgress().getBlocksSent(), done.toString());
    fixture.assertOnPremEqualsCloud(cloudVm);
    // The failback's end: the baseline goes with the cloud copy, and commit deletes the VM.
    assertFalse(fixture.item().hasFailoverBaseline(), fixture.item().toString());
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertTrue(fixture.controller.server.cloud().get(cloudVm).isEmpty());
  }

  /**
   * The on-prem host ran the VM after the failover (or a disk drifted): phase 1 does not see
   * it, the verify pass does, and the end state is the cloud's all the same.
   */
  @Test
  void theVerifyPassRepairsWhatChangedOnPremSinceTheFailover() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = failOverPlanned(fixture);
    write(fixture, cloudVm, 0, 4, 4);
    BitSet onPrem = fixture.scribbleOnPrem(1, 5, 5);

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertStep(waiting, "p1 (TRACKED) verified");
    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertStep(done, "; " + onPrem.cardinality() + " blocks had changed on-prem since phase 1"
        + " and were repaired");
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /** A host that lost its digest sets: the tracked phase 1 fails, the checksum pass runs. */
  @Test
  void aHostWithoutItsDigestSetsGetsTheChecksumPass() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = failOverPlanned(fixture);
    BitSet written = write(fixture, cloudVm, 0, 6, 6);
    List<Path> digestSets;
    try (Stream<Path> files = Files.walk(fixture.hostDir)) {
      digestSets = files.filter(p -> p.getFileName().toString().endsWith(".digests")).toList();
    }
    assertEquals(2, digestSets.size(), digestSets.toString());
    for (Path digestSet : digestSets) {
      Files.delete(digestSet);
    }

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertStep(waiting, "phase 1 from the tracked writes failed (");
    assertStep(waiting, "p1 (DELTA) verified: whole-disk digests equal on both sides; 768"
        + " blocks scanned, " + written.cardinality() + " sent");
    fixture.awaitState(lifecycle.completeFailover(failback.getId()), JobState.JOB_SUCCEEDED);
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /**
   * A tracked failback cancelled after phase 1: the on-prem disks go back, the baseline and its
   * tracking point stay, and the re-run's phase 1 is tracked again. Both digest sets record the
   * blocks the first run sent, which the disks no longer hold: the re-run sends every block the
   * cloud VM wrote, and its verify pass finds nothing left to repair.
   */
  @Test
  void aCancelledFailbackKeepsTheBaselineAndTheRerunSendsEveryTrackedBlockAgain()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = failOverPlanned(fixture);
    String trackingPoint = fixture.item().getFailoverBaseline().getCloudTrackingPoint();
    BitSet written = write(fixture, cloudVm, 0, 5, 7);
    Job first = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    assertStep(fixture.awaitState(first, JobState.JOB_WAITING), "p1 (TRACKED) verified");
    fixture.controller.server.jobs().cancel(first.getId());
    assertStep(fixture.awaitState(first, JobState.JOB_CANCELLED),
        "the on-prem disks were rolled back");
    assertEquals(trackingPoint, fixture.item().getFailoverBaseline().getCloudTrackingPoint());
    assertEquals(List.of(trackingPoint), fixture.controller.server.cloud().snapshots(cloudVm));
    written.or(write(fixture, cloudVm, 0, 3, 8));

    Job again = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(again, JobState.JOB_WAITING);
    assertStep(waiting, "phase 1 sends only the " + written.cardinality() + " blocks the cloud"
        + " VM wrote since the failover");
    assertStep(waiting, "p1 (TRACKED) verified: whole-disk digests equal on both sides; "
        + written.cardinality() + " blocks scanned, " + written.cardinality() + " sent");
    Job done = fixture.awaitState(lifecycle.completeFailover(again.getId()),
        JobState.JOB_SUCCEEDED);
    assertStep(done, "nothing had changed since phase 1");
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /**
   * An unplanned failover starts the cloud VM from the last cycle's replica, whose digest sets
   * describe it: phase 1 sends only what the cloud VM wrote, and what the host wrote after the
   * last cycle (lost to the failover by definition) the verify pass overwrites.
   */
  @Test
  void anUnplannedFailoverTracksFromTheLastCycle() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    BitSet afterTheCycle = fixture.scribbleOnPrem(1, 6, 6);
    Job failover = fixture.awaitState(lifecycle.unplannedFailover(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    String trackingPoint = fixture.item().getFailoverBaseline().getCloudTrackingPoint();
    assertFalse(trackingPoint.isEmpty(), fixture.item().toString());
    assertStep(failover, "cloud VM started from the replica of ");
    assertStep(failover, ", its writes tracked from the first (tracking point " + trackingPoint);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    BitSet written = write(fixture, cloudVm, 0, 5, 7);
    FailoverEstimate estimate = lifecycle.preflight(Targets.of(List.of(fixture.vmId)),
        DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty()).getEstimate();
    assertEquals(0, estimate.getBytesChecksummedSyncBefore(), estimate.toString());

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertStep(waiting, "phase 1 sends only the " + written.cardinality() + " blocks the cloud"
        + " VM wrote since the failover");
    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertStep(done, "; " + afterTheCycle.cardinality() + " blocks had changed on-prem since"
        + " phase 1 and were repaired");
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /**
   * A cycle that failed after it began writing the replica leaves no digest sets: an unplanned
   * failover then has no baseline, and phase 1 compares every block's checksums.
   */
  @Test
  void anUnplannedFailoverAfterAFailedCycleComparesChecksums() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean failReadPoints =
        new java.util.concurrent.atomic.AtomicBoolean();
    LifecycleFixture fixture = LifecycleFixture.withDriver(dir, cleanup,
        host -> new io.failback.agent.hyperv.ForwardingHypervisor(host) {
          @Override
          public io.failback.agent.hyperv.ReadPoint createReadPoint(String vmId)
              throws java.io.IOException {
            if (failReadPoints.get()) {
              throw new java.io.IOException("CreateSnapshot returned 32768 (failed)");
            }
            return super.createReadPoint(vmId);
          }
        });
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    failReadPoints.set(true);
    assertThrows(Exception.class, () -> lifecycle.replicateNow(fixture.vmId));
    failReadPoints.set(false);
    Job failover = fixture.awaitState(lifecycle.unplannedFailover(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertStep(failover, ", its writes not tracked (the replica has no digest sets): a"
        + " failback's phase 1 compares every block's checksums");
    assertFalse(fixture.item().hasFailoverBaseline(), fixture.item().toString());
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    FailoverEstimate estimate = lifecycle.preflight(Targets.of(List.of(fixture.vmId)),
        DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty()).getEstimate();
    assertEquals(48L << 20, estimate.getBytesChecksummedSyncBefore(), estimate.toString());
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertStep(waiting, "phase 1 compares the checksums of every block: no baseline since the"
        + " failover");
    assertStep(waiting, "p1 (DELTA) verified: whole-disk digests equal on both sides; 768"
        + " blocks scanned");
    fixture.awaitState(lifecycle.completeFailover(failback.getId()), JobState.JOB_SUCCEEDED);
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /** Protected, failed over planned, committed: the cloud VM runs. */
  private static String failOverPlanned(LifecycleFixture fixture) throws Exception {
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    Job failover = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    assertStep(failover, "cloud VM started, its writes tracked from the first (tracking point "
        + fixture.item().getFailoverBaseline().getCloudTrackingPoint() + ")");
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    return fixture.item().getCloudVmId();
  }

  /** The cloud guest writes {@code blocks} distinct whole blocks of disk {@code disk}. */
  private static BitSet write(LifecycleFixture fixture, String cloudVm, int disk, int blocks,
      long seed) throws Exception {
    SimulatedGuest guest = fixture.controller.server.cloud().guest(cloudVm);
    long size = fixture.cloudBytes(cloudVm, disk).length;
    Random random = new Random(seed);
    BitSet written = new BitSet();
    byte[] data = new byte[BLOCK];
    while (written.cardinality() < blocks) {
      int block = random.nextInt((int) (size / BLOCK));
      random.nextBytes(data);
      guest.write(disk, (long) block * BLOCK, data);
      written.set(block);
    }
    return written;
  }

  private static PhaseProgress phase(JobTask task, String label) {
    return task.getPhasesList().stream().filter(p -> p.getPhase().equals(label)).reduce(
        (first, second) -> second).orElseThrow(() -> new AssertionError(label + " not in "
            + task));
  }

  private static void assertStep(Job job, String text) {
    assertTrue(job.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains(text)), text + " not in " + job.getTimelineList());
  }
}
