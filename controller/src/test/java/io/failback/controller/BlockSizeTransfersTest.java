package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.ids.Thumbprint;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.SimulatedGuest;
import io.failback.controller.lifecycle.InvalidArgumentException;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.Targets;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DiskTracking;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.TransferOptions;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block size an operator asks for, through the whole loop over real mTLS: a protection
 * asked for 1 MiB and its cycles keep it; a failover to the cloud keeps it (and refuses
 * another); a failback asks for
 * 16 KiB and its phase 2 sends exactly the 16 KiB blocks the cloud guest wrote; reverse
 * replication keeps 16 KiB unasked, or, asked for 4 KiB, compares checksums once; the cycles
 * after it track 4 KiB blocks. Every disk ends equal, counted in each transfer's own blocks.
 */
class BlockSizeTransfersTest {
  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;
  /** The fixture's disks: 32 MiB and 16 MiB. */
  private static final long[] DISK_BYTES = {32L * MIB, 16L * MIB};

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void anAskedBlockSizeIsKeptForTheVmAndAnotherComparesChecksumsOnce() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String vmId = fixture.vmId;

    Job protect = fixture.awaitState(lifecycle.enableProtection(List.of(vmId), false,
        blocks(MIB), io.failback.proto.v1.CloudDevices.CLOUD_DEVICES_UNSPECIFIED),
        JobState.JOB_SUCCEEDED);
    assertStep(protect, "blocks of 1 MiB (asked for the job)");
    assertVmBlocks(fixture, MIB);
    String cloudVm = fixture.item().getCloudVmId();

    // A cycle asks for nothing: the VM's 1 MiB, tracked, one block per MiB written into (40
    // blocks of 64 KiB in 32 MiB share some).
    BitSet written = fixture.scribbleOnPrem(0, 40, 41);
    int mibs = touched(written, 64 * KIB, MIB);
    assertTrue(mibs < 40, "some share a MiB: " + written);
    List<SyncOutcome> cycle = lifecycle.replicateNow(vmId);
    assertEquals(List.of((long) mibs, 0L), sent(cycle), cycle.toString());
    assertEquals(mibs, cycle.get(0).agent().getBlocksScanned(), "tracked: " + cycle.get(0));
    fixture.assertOnPremEqualsCloud(cloudVm);

    // A failover to the cloud keeps the VM's blocks (its final sync sends the tracked changes,
    // during the downtime), and says so when asked for others; it takes the lanes asked for.
    InvalidArgumentException refused = assertThrows(InvalidArgumentException.class,
        () -> lifecycle.plannedFailover(Targets.of(List.of(vmId)),
            DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty(), blocks(64 * KIB)));
    assertTrue(refused.getMessage().startsWith("transfer.block_size applies to protection,"
        + " failback and reverse replication: a failover to the cloud keeps each VM's block"
        + " size"), refused.getMessage());
    // Nor does it take a failback's data sync or encryption certificate, in the pre-flight too.
    InvalidArgumentException full = assertThrows(InvalidArgumentException.class,
        () -> lifecycle.plannedFailover(Targets.of(List.of(vmId)), DataSync.FULL_DOWNLOAD,
            Optional.empty(), Optional.empty(), TransferOptions.getDefaultInstance()));
    assertTrue(full.getMessage().startsWith("data_sync FULL_DOWNLOAD applies to a failback"
        + " only"), full.getMessage());
    InvalidArgumentException certificate = assertThrows(InvalidArgumentException.class,
        () -> lifecycle.plannedFailover(Targets.of(List.of(vmId)),
            DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.of(new Thumbprint("ab"
                .repeat(20))), TransferOptions.getDefaultInstance()));
    assertTrue(certificate.getMessage().startsWith("encryption_certificate applies to a"
        + " failback only"), certificate.getMessage());
    assertEquals(List.of("state"), lifecycle.preflight(Targets.of(List.of(vmId)),
        DataSync.FULL_DOWNLOAD, Optional.empty(), Optional.empty()).getProblemsList().stream()
        .map(p -> p.getCheck()).toList());
    assertEquals(1, fixture.controller.server.jobs().list("").size(), "no job started");
    BitSet late = fixture.scribbleOnPrem(1, 3, 42);
    Job failover = fixture.awaitState(lifecycle.plannedFailover(Targets.of(List.of(vmId)),
        DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty(),
        TransferOptions.newBuilder().setLanesPerDisk(3).build()), JobState.JOB_SUCCEEDED);
    assertStep(failover, "3 lanes per disk (");
    assertStep(failover, "final delta sync started (TRACKED)");
    // During the downtime it sends only the MiBs written since the last cycle.
    assertEquals(List.of(0L, (long) touched(late, 64 * KIB, MIB)), failover.getTasksList()
        .stream().filter(t -> !t.getDiskPath().isEmpty())
        .map(t -> t.getProgress().getBlocksSent() + t.getProgress().getBlocksZero()).toList(),
        failover.toString());
    fixture.assertOnPremEqualsCloud(cloudVm);
    assertStep(failover, "blocks of 1 MiB (the VM's, as a job asked)");
    fixture.awaitState(lifecycle.commit(vmId), JobState.JOB_SUCCEEDED);

    // A failback asks for 16 KiB: phase 2 sends the 16 KiB blocks the guest wrote after phase
    // 1's snapshot, each written with 4 KiB: 3 on disk 0 (two of them in one 64 KiB block),
    // 1 on disk 1.
    SimulatedGuest guest = fixture.controller.server.cloud().guest(cloudVm);
    guest.scribble(0, 30, 11);
    Job failback = lifecycle.plannedFailover(Targets.of(List.of(vmId)),
        DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty(), blocks(16 * KIB));
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertStep(waiting, "blocks of 16 KiB (asked for the job)");
    Random random = new Random(7);
    long[][] offsets = {{16 * KIB, 3 * 16 * KIB + 4 * KIB, 100 * 16 * KIB},
        {7 * 16 * KIB + 12 * KIB}};
    for (int disk = 0; disk < 2; disk++) {
      for (long offset : offsets[disk]) {
        byte[] data = new byte[4 * KIB];
        random.nextBytes(data);
        guest.write(disk, offset, data);
      }
    }
    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertEquals(List.of(3L, 1L), done.getTasksList().stream()
        .filter(t -> !t.getDiskPath().isEmpty())
        .map(t -> t.getProgress().getBlocksSent() + t.getProgress().getBlocksZero()).toList(),
        done.toString());
    assertStep(done, "p2 (TRACKED) verified");
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(fixture.cloudBytes(cloudVm, i), fixture.onPremBytes(i));
    }
    fixture.awaitState(lifecycle.commit(vmId), JobState.JOB_SUCCEEDED);
    assertVmBlocks(fixture, 16 * KIB);

    // Reverse replication asks for 4 KiB: the host's tracked changes are of 16 KiB blocks, so
    // it compares every 4 KiB block's checksum once.
    fixture.scribbleOnPrem(1, 3, 51);
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(Targets.of(List.of(vmId)),
        blocks(4 * KIB)), JobState.JOB_SUCCEEDED);
    assertStep(reverse, "tracked changes are of 16 KiB blocks, this job's of 4 KiB: comparing"
        + " checksums once");
    assertStep(reverse, "reverse replication started (DELTA)");
    List<JobTask> disks = reverse.getTasksList().stream()
        .filter(t -> !t.getDiskPath().isEmpty()).toList();
    assertEquals(List.of(DISK_BYTES[0] / (4 * KIB), DISK_BYTES[1] / (4 * KIB)), disks.stream()
        .map(t -> t.getProgress().getBlocksScanned()).toList(), reverse.toString());
    assertVmBlocks(fixture, 4 * KIB);
    String replica = fixture.item().getCloudVmId();
    fixture.assertOnPremEqualsCloud(replica);

    // The cycles after it track 4 KiB blocks: 16 per 64 KiB written.
    BitSet after = fixture.scribbleOnPrem(0, 2, 61);
    List<SyncOutcome> tracked = lifecycle.replicateNow(vmId);
    assertEquals(List.of((long) touched(after, 64 * KIB, 4 * KIB), 0L), sent(tracked),
        tracked.toString());
    fixture.assertOnPremEqualsCloud(replica);
  }

  private static TransferOptions blocks(int bytes) {
    return TransferOptions.newBuilder().setBlockSize(bytes).build();
  }

  /** The item's block size and its disks' tracking are {@code bytes}. */
  private static void assertVmBlocks(LifecycleFixture fixture, int bytes) throws Exception {
    var item = fixture.item();
    assertEquals(bytes, item.getBlockSize(), item.toString());
    assertEquals(2, item.getDiskTrackingCount(), item.toString());
    for (DiskTracking tracking : item.getDiskTrackingList()) {
      assertEquals(bytes, tracking.getBlockSize(), item.toString());
    }
  }

  private static void assertStep(Job job, String text) {
    assertTrue(job.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains(text)), text + " not in " + job.getTimelineList());
  }

  /** How many {@code size}-byte blocks the {@code unit}-byte blocks in {@code units} touch. */
  private static int touched(BitSet units, int unit, int size) {
    BitSet blocks = new BitSet();
    units.stream().forEach(u -> {
      long first = (long) u * unit / size;
      long last = ((long) u * unit + unit - 1) / size;
      blocks.set((int) first, (int) last + 1);
    });
    return blocks.cardinality();
  }

  private static List<Long> sent(List<SyncOutcome> outcomes) {
    return outcomes.stream().map(o -> o.agent().getBlocksSent() + o.agent().getBlocksZero())
        .toList();
  }
}
