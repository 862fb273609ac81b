package io.failback.controller.lifecycle;

import io.failback.controller.cloud.CloudSnapshot;
import io.failback.controller.sync.SyncOutcome;
import io.failback.controller.tuning.BlockSize;
import io.failback.proto.v1.DiskTracking;
import io.failback.proto.v1.FailoverBaseline;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SyncMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A failback's phase 1: every block's checksums compared, or, after a planned failover, only
 * the blocks the cloud VM wrote since it started sent.
 *
 * <p>Why the second is safe: the planned failover's final sync left the replica equal to the
 * on-prem disks and recorded its digest sets on both sides; the cloud tracked every write from
 * before the cloud VM's first (the failover baseline). A block it did not write still holds the
 * replica's bytes, whose digest both sides keep. What the on-prem disk may have changed since
 * (a host that ran the VM anyway) the verify pass finds: it re-reads every on-prem block
 * against the digests phase 1 leaves, and sends again what differs, before the cloud VM stops.
 *
 * <p>A run that did not finish (rolled back, or cut by a controller restart) changes none of
 * that: it wrote blocks the cloud VM wrote since the failover, which a tracked pass sends
 * again, every one, though both digest sets record what that run sent (send_every_changed),
 * or blocks back to the replica's bytes.
 */
final class PhaseOne {
  /** How long the host may take to answer before a failed tracked pass is retried. */
  private static final Duration HOST_PROBE = Duration.ofSeconds(5);
  /**
   * Where a tracked phase 1 may start: FAILED_OVER (a run that did not finish was rolled back
   * to it, or none ran), or FAILING_BACK, a run a controller restart cut in phase 1: sending
   * the cloud VM's writes again costs at most one phase 1, a checksum pass reads both sides'
   * disks whole. Not FAILBACK_SYNCED: phase 1 had sent it all, a checksum pass sends nothing.
   * Not FAILBACK_INCONSISTENT: disks a rollback could not put back may be of another run.
   */
  private static final Set<ProtectionState> RUNS_FROM = EnumSet.of(
      ProtectionState.FAILED_OVER, ProtectionState.FAILING_BACK);
  private final FailbackVm failback;
  /** What the tracking point is, for the job's steps. */
  private String since = "the failover";

  PhaseOne(FailbackVm failback) {
    this.failback = failback;
  }

  /**
   * The tracking point to take phase 1's snapshot against, or empty where phase 1 compares
   * checksums: no baseline, a new VM (alternate host, recreated), on-prem disks a failed run
   * left inconsistent, or digest sets of other blocks than the failback's. The job says which.
   */
  Optional<String> trackingPoint() throws Exception {
    ProtectedItem item = failback.item;
    if (failback.continuedFrom != null) {
      since = "snapshot " + failback.continuedFrom + " (phase 1 before the restart)";
      failback.step("phase 1 before the restart had sent snapshot " + failback.continuedFrom
          + ", which both sides' digest sets record: phase 1 runs from the cloud's tracking"
          + " of the writes since");
      return Optional.of(failback.continuedFrom);
    }
    FailoverBaseline baseline = item.getFailoverBaseline();
    boolean newDisks = !failback.alternateHost.isEmpty() || failback.recreating != null;
    String why = whyNot(item, newDisks, failback.onPrem.getDisksCount(),
        failback.blocks().bytes());
    if (why != null) {
      failback.step("phase 1 compares the checksums of every block: " + why);
      return Optional.empty();
    }
    return Optional.of(baseline.getCloudTrackingPoint());
  }

  /**
   * Why a failback of {@code item} in {@code blockSize}-byte blocks cannot send only the cloud
   * VM's tracked writes in phase 1, or null when it can (the pre-flight asks too).
   *
   * @param newDisks whether the failback goes to a new VM (alternate host, recreated)
   */
  static String whyNot(ProtectedItem item, boolean newDisks, int disks, int blockSize) {
    FailoverBaseline baseline = item.getFailoverBaseline();
    if (baseline.getCloudTrackingPoint().isEmpty()) {
      return "no baseline since the failover (its replica lacked a digest set of a disk, the"
          + " cloud cannot track writes, or an earlier failback run rewrote the digest sets)";
    }
    if (newDisks) {
      return "the VM's disks are new";
    }
    if (!RUNS_FROM.contains(item.getState())) {
      return "the on-prem disks are " + item.getState();
    }
    for (int i = 0; i < disks; i++) {
      int disk = i;
      Optional<DiskTracking> tracking = baseline.getDisksList().stream()
          .filter(t -> t.getDiskIndex() == disk).findFirst();
      if (tracking.isEmpty() || !tracking.get().getDigestSet()
          .equals(Replication.digestSetPrefix(item) + "-d" + disk)) {
        return "the failover recorded no digest set of disk " + disk;
      }
      if (BlockSize.fromStored(tracking.get().getBlockSize()) != blockSize) {
        return "the failover's digest sets are of "
            + BlockSize.describe(BlockSize.fromStored(tracking.get().getBlockSize()))
            + " blocks, this failback's of " + BlockSize.describe(blockSize);
      }
    }
    return null;
  }

  /**
   * Runs phase 1 from {@code snapshot}: TRACKED where it was taken against a tracking point
   * that still tells every disk's changes, a checksum pass otherwise, and a checksum pass
   * again where the tracked one failed short of a cancel while the host still answers (e.g. a
   * host that lost its digest sets).
   */
  List<SyncOutcome> run(CloudSnapshot snapshot, boolean againstTrackingPoint) throws Exception {
    Optional<List<BitSet>> changed = againstTrackingPoint ? changes(snapshot)
        : Optional.empty();
    if (againstTrackingPoint && changed.isEmpty()) {
      failback.step("the cloud no longer tracks the VM's writes since " + since + " (its"
          + " tracking was lost): phase 1 compares the checksums of every block");
    }
    if (changed.isPresent()) {
      long blocks = changed.get().stream().mapToLong(BitSet::cardinality).sum();
      failback.step("phase 1 sends only the " + blocks + " blocks the cloud VM wrote since "
          + since + "; the verify pass re-reads every on-prem block later");
      try {
        return failback.transfer(SyncMode.TRACKED, "p1", disks(snapshot, changed.get()));
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        FlowSupport.checkCancel(failback.context, failback.jobId);
        if (!failback.context.hosts().answers(failback.onPrem.getHostName(), HOST_PROBE)) {
          throw e; // the host is gone: a checksum pass would fail as well, and less clearly
        }
        failback.step("phase 1 from the tracked writes failed (" + e.getMessage()
            + "): comparing the checksums of every block instead");
        // New sessions: the agent remembers the failed ones.
        failback.sessionSuffix = failback.sessionSuffix + "-sums";
      }
    }
    return failback.transfer(SyncMode.DELTA, "p1", disks(snapshot, null));
  }

  /** The on-prem disks paired with the snapshot's views, with their changed blocks or null. */
  List<DiskTransfer.Disk> disks(CloudSnapshot snapshot, List<BitSet> changed)
      throws Exception {
    List<DiskTransfer.Disk> disks = new ArrayList<>();
    for (int i = 0; i < failback.onPrem.getDisksCount(); i++) {
      disks.add(new DiskTransfer.Disk(i, failback.onPrem.getDisks(i).getPath(),
          snapshot.disk(i), changed == null ? null : changed.get(i)));
    }
    return disks;
  }

  private Optional<List<BitSet>> changes(CloudSnapshot snapshot) throws Exception {
    List<BitSet> changed = new ArrayList<>();
    for (int i = 0; i < failback.onPrem.getDisksCount(); i++) {
      Optional<long[]> blocks = snapshot.changedSince(i, failback.blocks().bytes());
      if (blocks.isEmpty()) {
        return Optional.empty();
      }
      changed.add(PhaseTwoChanges.bits(blocks.get()));
    }
    return Optional.of(changed);
  }
}
