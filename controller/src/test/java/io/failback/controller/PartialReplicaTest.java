package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Timestamps;
import io.failback.agent.hyperv.ForwardingHypervisor;
import io.failback.agent.hyperv.ForwardingReadPoint;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.ProtectedItem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delta cycle writes the replica in place: one that fails after its first write leaves the
 * replica holding part of it, neither the last recovery point nor the next. The item says so
 * (its RPO warning) until a cycle verifies the replica again, an unplanned failover from it says
 * so in its job and keeps no baseline; a pass that writes nothing marks nothing.
 */
class PartialReplicaTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  private final AtomicBoolean failDiskOne = new AtomicBoolean();
  /** Set: disk 1's session hangs instead (counting down {@link #hung}) until this opens. */
  private final AtomicReference<java.util.concurrent.CountDownLatch> hangDiskOne =
      new AtomicReference<>();
  private final java.util.concurrent.CountDownLatch hung =
      new java.util.concurrent.CountDownLatch(1);
  private final AtomicReference<byte[]> diskZeroAfter = new AtomicReference<>();
  private final AtomicReference<LifecycleFixture> fixtureRef = new AtomicReference<>();

  @Test
  void aCycleThatFailedAfterWritingPartOfTheReplicaIsSaidUntilOneVerifiesIt() throws Exception {
    LifecycleFixture fixture = protectedFixture();
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.item().getCloudVmId();
    assertFalse(fixture.item().hasReplicaWrittenSince(), fixture.item().toString());
    // Disk 1 cannot be read, but only once disk 0's changes are in the replica.
    fixture.scribbleOnPrem(0, 6, 61);
    fixture.scribbleOnPrem(1, 6, 62);
    diskZeroAfter.set(fixture.onPremBytes(0));
    failDiskOne.set(true);
    assertThrows(Exception.class, () -> lifecycle.replicateNow(fixture.vmId));
    assertArrayEquals(diskZeroAfter.get(), fixture.cloudBytes(cloudVm, 0));
    ProtectedItem partial = fixture.item();
    assertTrue(partial.hasReplicaWrittenSince(), partial.toString());
    // Its writes are in the replica's undo journals: the recovery point is still there to put
    // back, so no warning says the replica lost it.
    assertTrue(partial.getReplicaWritesUndoable(), partial.toString());
    assertFalse(partial.getRpoWarning().contains("the replica holds part"), partial.toString());

    // A cycle that verifies the replica clears it.
    failDiskOne.set(false);
    lifecycle.replicateNow(fixture.vmId);
    assertFalse(fixture.item().hasReplicaWrittenSince(), fixture.item().toString());
    assertFalse(fixture.item().getRpoWarning().contains("the replica holds part"));
    fixture.assertOnPremEqualsCloud(cloudVm);

    // Nothing changed on-prem: the tracked cycle writes no block, then fails on disk 1.
    diskZeroAfter.set(fixture.onPremBytes(0));
    failDiskOne.set(true);
    assertThrows(Exception.class, () -> lifecycle.replicateNow(fixture.vmId));
    assertFalse(fixture.item().hasReplicaWrittenSince(), fixture.item().toString());
    // A cycle that succeeds ends what the failed one left on the agent (a parked read point).
    failDiskOne.set(false);
    lifecycle.replicateNow(fixture.vmId);
  }

  /**
   * Two cycles fail after writing part of the replica; the unplanned failover puts back what
   * they overwrote from the replica's undo journals, and the cloud VM starts from the recovery
   * point before both, byte for byte.
   */
  @Test
  void anUnplannedFailoverUndoesWhatUnfinishedCyclesWrote() throws Exception {
    LifecycleFixture fixture = protectedFixture();
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    ProtectedItem before = fixture.item();
    String cloudVm = before.getCloudVmId();
    byte[][] recoveryPoint = replica(fixture, cloudVm);
    failTwoCycles(fixture, lifecycle);
    assertFalse(Arrays.equals(recoveryPoint[0], fixture.cloudBytes(cloudVm, 0)),
        "the failed cycles wrote nothing");
    String since = Timestamps.toString(fixture.item().getReplicaWrittenSince());

    Job failover = fixture.awaitState(lifecycle.unplannedFailover(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    String point = Timestamps.toString(before.getLastRecoveryPoint());
    assertStep(failover, "the replication begun at " + since + " did not finish: the ");
    assertStep(failover, " it had overwritten were put back; the cloud VM starts from the"
        + " recovery point of " + point);
    assertStep(failover, "cloud VM started from the replica of " + point);
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(recoveryPoint[i], fixture.cloudBytes(cloudVm, i), "disk " + i);
    }
    ProtectedItem item = fixture.item();
    assertFalse(item.hasFailoverBaseline(), item.toString());
    assertFalse(item.hasReplicaWrittenSince(), item.toString());
    assertFalse(Files.exists(undoDir(fixture)) && Files.list(undoDir(fixture)).findAny()
        .isPresent(), "journals left behind");
  }

  /**
   * The host dies in the middle of a cycle, which then waits for its agent to come back
   * (--agent-return-timeout) while holding the replica: the unplanned failover stops it, puts
   * back what it wrote and starts the cloud VM from the last recovery point.
   */
  @Test
  void anUnplannedFailoverDoesNotWaitForACycleStuckOnItsHost() throws Exception {
    LifecycleFixture fixture = protectedFixture();
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    ProtectedItem before = fixture.item();
    String cloudVm = before.getCloudVmId();
    byte[][] recoveryPoint = replica(fixture, cloudVm);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    var cycle = hangingCycle(fixture, release, 83);
    try {
      assertTrue(hung.await(30, java.util.concurrent.TimeUnit.SECONDS), "disk 1 never hung");
      ProtectedItem writing = fixture.item();
      assertTrue(writing.hasReplicaWrittenSince(), writing.toString());
      // A cycle in flight, journaled: no RPO warning (it would rise with every cycle).
      assertTrue(writing.getReplicaWritesUndoable(), writing.toString());
      assertEquals("", writing.getRpoWarning(), writing.toString());

      Job failover = fixture.awaitState(lifecycle.unplannedFailover(fixture.vmId),
          JobState.JOB_SUCCEEDED);
      assertStep(failover, "a delta cycle still writing the replica was stopped: an unplanned"
          + " failover does not wait for it");
      assertStep(failover, " it had overwritten were put back; the cloud VM starts from the"
          + " recovery point of " + Timestamps.toString(before.getLastRecoveryPoint()));
      for (int i = 0; i < 2; i++) {
        assertArrayEquals(recoveryPoint[i], fixture.cloudBytes(cloudVm, i), "disk " + i);
      }
      assertTrue(cycle.isCompletedExceptionally(), "the cycle went on");
    } finally {
      failDiskOne.set(false);
      release.countDown();
    }
  }

  /**
   * A planned failover asked for while a delta cycle writes the replica waits for that cycle:
   * one writer per replica disk (the KVM cloud's qemu-nbd holds QEMU's image lock, and the
   * local cloud now refuses a second writer too). Seen from outside on the KVM cloud
   * (bench/soak-kvm): the failover opened the disks beside the cycle and failed.
   */
  @Test
  void aPlannedFailoverWaitsForACycleStillWritingTheReplica() throws Exception {
    LifecycleFixture fixture = protectedFixture();
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.item().getCloudVmId();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    var cycle = hangingCycle(fixture, release, 87);
    Job failover;
    try {
      assertTrue(hung.await(30, java.util.concurrent.TimeUnit.SECONDS), "disk 1 never hung");
      failover = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
      // Past the on-prem VM's stop, where the final sync opens the replica's disks.
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (fixture.controller.server.jobs().get(failover.getId()).getTimelineList().stream()
          .noneMatch(step -> step.getDescription().contains("stopping the on-prem VM"))
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Thread.sleep(500);
      assertEquals(JobState.JOB_RUNNING,
          fixture.controller.server.jobs().get(failover.getId()).getState(),
          "the failover did not wait for the cycle");
    } finally {
      failDiskOne.set(false);
      release.countDown();
    }
    fixture.awaitState(failover, JobState.JOB_SUCCEEDED);
    assertTrue(cycle.isCompletedExceptionally(), "the cycle was to fail on disk 1");
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /** Without its undo journals (lost with the controller's disk), the failover says so. */
  @Test
  void anUnplannedFailoverFromAPartialReplicaWithoutJournalsSaysSo() throws Exception {
    LifecycleFixture fixture = protectedFixture();
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    ProtectedItem before = fixture.item();
    failTwoCycles(fixture, lifecycle);
    String since = Timestamps.toString(fixture.item().getReplicaWrittenSince());
    try (var files = Files.walk(undoDir(fixture))) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
    // Another cycle fails the same way: it must not start journals of the mix it finds, which
    // an undo would then give back as if they were the recovery point.
    fixture.controller.clock.advance(java.time.Duration.ofMillis(5));
    fixture.scribbleOnPrem(0, 6, 93);
    diskZeroAfter.set(fixture.onPremBytes(0));
    failDiskOne.set(true);
    assertThrows(Exception.class, () -> lifecycle.replicateNow(fixture.vmId));
    failDiskOne.set(false);
    assertFalse(Files.exists(undoDir(fixture)) && Files.list(undoDir(fixture)).findAny()
        .isPresent(), "journals begun over the mix");
    // Written without journals: the replica is no recovery point now, and the item says so.
    ProtectedItem mixed = fixture.item();
    assertFalse(mixed.getReplicaWritesUndoable(), mixed.toString());
    assertTrue(mixed.getRpoWarning().contains("the replica holds part of a replication begun at "
        + since + " that never verified it"), mixed.toString());

    Job failover = fixture.awaitState(lifecycle.unplannedFailover(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertStep(failover, "the replica holds part of a replication begun at " + since + " that"
        + " never verified it (no undo journal of it is left): the cloud VM starts from disks"
        + " that are neither the recovery point of "
        + Timestamps.toString(before.getLastRecoveryPoint())
        + " nor a later one; check its file systems");
    // The task's last word too, which is what `failback job` shows first.
    assertStep(failover, "cloud VM started from the replica of "
        + Timestamps.toString(before.getLastRecoveryPoint()) + " and part of the replication"
        + " begun at " + since);
    ProtectedItem item = fixture.item();
    assertFalse(item.hasFailoverBaseline(), item.toString());
    assertFalse(item.hasReplicaWrittenSince(), item.toString());
  }

  /**
   * Starts a cycle of new on-prem writes (seeded {@code seed} and the next) that writes disk 0
   * of the replica, then hangs on disk 1 until {@code release}, and fails there after it.
   */
  private java.util.concurrent.CompletableFuture<Void> hangingCycle(LifecycleFixture fixture,
      java.util.concurrent.CountDownLatch release, int seed) throws Exception {
    fixture.controller.clock.advance(java.time.Duration.ofMillis(5));
    fixture.scribbleOnPrem(0, 6, seed);
    fixture.scribbleOnPrem(1, 6, seed + 1);
    diskZeroAfter.set(fixture.onPremBytes(0));
    hangDiskOne.set(release);
    failDiskOne.set(true);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    return java.util.concurrent.CompletableFuture.runAsync(() -> {
      try {
        lifecycle.replicateNow(fixture.vmId);
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
  }

  /** Two cycles that each write disk 0 and fail on disk 1, with other writes on-prem. */
  private void failTwoCycles(LifecycleFixture fixture, Lifecycle lifecycle) throws Exception {
    for (int round = 0; round < 2; round++) {
      // Another cycle id (the fixture's clock stands still): the agent does not take the
      // failed one's read point for it.
      fixture.controller.clock.advance(java.time.Duration.ofMillis(5));
      fixture.scribbleOnPrem(0, 6, 63 + round);
      fixture.scribbleOnPrem(1, 6, 73 + round);
      diskZeroAfter.set(fixture.onPremBytes(0));
      failDiskOne.set(true);
      assertThrows(Exception.class, () -> lifecycle.replicateNow(fixture.vmId));
      assertTrue(fixture.item().hasReplicaWrittenSince(), fixture.item().toString());
    }
    // Commit later ends what the failed cycles left on the agent.
    failDiskOne.set(false);
  }

  private static Path undoDir(LifecycleFixture fixture) {
    return fixture.controller.stateDir.resolve("replica-undo");
  }

  private static void assertStep(Job job, String text) {
    assertTrue(job.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains(text)), text + " not in " + job.getTimelineList());
  }

  /** {@link #fixture()} with its VM protected. */
  private LifecycleFixture protectedFixture() throws Exception {
    LifecycleFixture fixture = fixture();
    fixture.awaitState(fixture.controller.server.lifecycle().enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    return fixture;
  }

  /** Both disks of the replica as they are now. */
  private static byte[][] replica(LifecycleFixture fixture, String cloudVm) throws Exception {
    return new byte[][] {fixture.cloudBytes(cloudVm, 0), fixture.cloudBytes(cloudVm, 1)};
  }

  /** The fixture, its agent's read points refusing disk 1 while {@link #failDiskOne}. */
  private LifecycleFixture fixture() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withDriver(dir, cleanup,
        host -> new ForwardingHypervisor(host) {
          @Override
          public ReadPoint createReadPoint(String vmId) throws IOException {
            ReadPoint point = super.createReadPoint(vmId);
            return new FailingDiskOne(point);
          }
        });
    fixtureRef.set(fixture);
    return fixture;
  }

  /**
   * While {@link #failDiskOne}, fails disk 1's session once the replica's disk 0 holds what the
   * cycle sends it (a failed cycle's read point is kept for the next, which asks again).
   */
  private final class FailingDiskOne extends ForwardingReadPoint {
    FailingDiskOne(ReadPoint point) {
      super(point);
    }

    @Override
    public Path disk(String diskPath) throws IOException {
      if (!failDiskOne.get() || !diskPath.endsWith("disk1.raw")) {
        return super.disk(diskPath);
      }
      LifecycleFixture fixture = fixtureRef.get();
      long deadline = System.nanoTime() + 30_000_000_000L;
      try {
        String cloudVm = fixture.item().getCloudVmId();
        while (!Arrays.equals(diskZeroAfter.get(), fixture.cloudBytes(cloudVm, 0))
            && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
      } catch (Exception e) {
        throw new IOException(e);
      }
      java.util.concurrent.CountDownLatch release = hangDiskOne.get();
      if (release != null) {
        hung.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      throw new IOException("disk " + diskPath + " is not in this read point");
    }
  }
}
