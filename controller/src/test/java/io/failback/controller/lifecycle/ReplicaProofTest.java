package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.failback.common.hash.DiskDigest;
import io.failback.common.sync.DiskSync;
import io.failback.common.sync.SyncProgress;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.SyncReport;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicaProofTest {
  private static final SyncProgress.Snapshot NOTHING =
      new SyncProgress.Snapshot(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  @Test
  void aReplicaWhoseDigestDiffersFromTheOnPremDiskFailsNamingTheDisk() throws Exception {
    byte[] one = new byte[32];
    byte[] two = new byte[32];
    two[31] = 1;
    List<DiskTransfer.Disk> disks = List.of(new DiskTransfer.Disk(0, "C:\\vm\\a.vhdx", null,
        null), new DiskTransfer.Disk(1, "C:\\vm\\b.vhdx", null, null));
    SyncOutcome equal = outcome(one, one);
    ReplicaProof.check(disks, List.of(equal, equal));
    LifecycleException e = assertThrows(LifecycleException.class,
        () -> ReplicaProof.check(disks, List.of(equal, outcome(one, two))));
    assertEquals("disk C:\\vm\\b.vhdx: digests differ, on-prem " + DiskDigest.hex(two)
        + ", cloud replica " + DiskDigest.hex(one), e.getMessage());
  }

  /** The controller's (the replica's) digest, then the agent's (the on-prem disk's). */
  private static SyncOutcome outcome(byte[] replica, byte[] onPrem) {
    return new SyncOutcome(new DiskSync.Result(replica, List.of(), NOTHING),
        SyncReport.newBuilder().setDiskDigest(DiskDigest.hex(onPrem)).build());
  }
}
