package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import com.google.protobuf.util.Durations;
import io.failback.common.disk.BlockDevice;
import io.failback.controller.cloud.CloudSnapshot;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.sync.JobEncryption;
import io.failback.proto.v1.CreateVm;
import io.failback.proto.v1.EncryptionCertificate;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * One VM's failback: a planned failover from the cloud back on-prem, with sync before
 * failover (phase 1 from a snapshot while the cloud VM runs, phase 2 of only the tracked
 * changes after it stops) or a full download; {@link CommitVm} makes it final.
 *
 * <p>From the first on-prem write to the verified end the agent keeps the VM marked
 * inconsistent. On its own host the agent also keeps an undo journal of every region the
 * failback overwrites, so a failure or cancel puts the disks back as they were and the item
 * returns to FAILED_OVER ({@link FailbackRollback}); only an impossible rollback, or a new VM
 * (alternate host, recreation), leaves it FAILBACK_INCONSISTENT, and re-running PlannedFailover
 * then resumes with a delta pass that skips what is already equal.
 */
class FailbackVm extends ItemWork {
  final DataSync dataSync;
  /** The host to fail back to when it is not the item's: the VM is created there. */
  String alternateHost;
  /** The target agent's encryption certificate, or null when payloads are not encrypted. */
  EncryptionCertificate certificate;
  JobEncryption encryption;
  /** The on-prem VM the disks go to: the item's, or the one created on the alternate host. */
  volatile VirtualMachine onPrem;
  long seed;
  volatile String snapshotId;
  /** A resumed run's: phase 1's snapshot before the restart, which phase 1 tracks from. */
  String continuedFrom;
  /** Phase 1's snapshot, open from phase 1 to the verify pass; null otherwise. */
  private volatile CloudSnapshot heldSnapshot;
  volatile Instant cloudOff;
  private final List<BlockDevice> cloudDisks = new ArrayList<>();
  private Optional<VirtualMachine> original = Optional.empty();
  /**
   * Phase 1's outcomes: their reference points, made after phase 1's last write while the cloud
   * VM still ran, are the item's after the failback. Every later write (phase 2's too) is in the
   * host's changed set since then, so reverse replication misses nothing; making them after
   * phase 2 instead would lengthen the downtime.
   */
  private List<SyncOutcome> phaseOneOutcomes = List.of();
  /** Why the VM is recreated on its own host (it was deleted there); null otherwise. */
  String recreating;
  /** The undo journals the agent keeps of the on-prem disks; empty for a new VM. */
  String undoJournal = "";
  /** A full download a restart cut short goes on comparing: what it wrote is not resent. */
  boolean fullAsDelta;
  /** Keeps a resumed job's sessions apart from those of the run a restart cut short. */
  String sessionSuffix = "";

  /**
   * @param vm the item's on-prem VM, or null when failing back to {@code alternateHost}
   * @param alternateHost empty for the item's own host
   */
  FailbackVm(LifecycleContext context, ProtectedItem item, VirtualMachine vm,
      DataSync dataSync, String alternateHost, EncryptionCertificate certificate, String tag) {
    super(context, item, vm, tag);
    this.dataSync = dataSync;
    this.alternateHost = alternateHost;
    this.certificate = certificate;
    this.onPrem = vm;
  }

  /** The on-prem VM is gone from its own host ({@code why}): create it there anew. */
  void recreating(String why) {
    this.recreating = why;
  }

  @Override
  public void begin(String jobId) throws Exception {
    if (item.getCloudVmId().isEmpty()) {
      throw new LifecycleException("vm " + vmName() + " has no cloud copy to fail back");
    }
    initialize(jobId);
    if (alternateHost.isEmpty()) {
      // A re-run after an impossible rollback starts a journal of the disks as they are now.
      undoJournal = item.getUndoJournal().isEmpty() ? jobId : item.getUndoJournal();
    }
    context.items().transition(vmId(), item.getState(), ProtectionState.FAILING_BACK,
        b -> b.setActiveJobId(jobId).setUndoJournal(undoJournal));
    step("failback (cloud to on-prem) started, data sync " + dataSync
        + (certificate == null ? "" : "; block payloads encrypted end to end for encryption"
            + " certificate " + certificate.getThumbprint()));
  }

  /** What the job's run needs besides the item's state: its seed and encryption key. */
  void initialize(String jobId) throws Exception {
    this.jobId = jobId;
    // The item's digest sets and seed: the final state they record is the seed of reverse
    // replication, which can then ask the host only for what changed since.
    this.seed = new Replication(context).trackingSeed(item);
    if (certificate != null) {
      // A fresh key per job, wrapped for the agent's certificate; it lives in memory only.
      encryption = JobEncryption.forCertificate(certificate, jobId, context.clock().instant());
    }
  }

  @Override
  public void prepare() throws Exception {
    if (alternateHost.isEmpty()) {
      // Never two live copies: the on-prem VM stays off while the cloud one may run.
      OnPremVmWatch.stopBeforeFailback(context, item, onPrem, this);
    } else {
      createOnAlternateHost();
    }
    releaseStaleSnapshots();
    if (dataSync == DataSync.FULL_DOWNLOAD) {
      return;
    }
    keepBlocks(FailbackBlocks.choose(context, jobId, vmId(), onPrem.getHostName()));
    PhaseOne phaseOne = new PhaseOne(this);
    Optional<String> since = phaseOne.trackingPoint();
    CloudSnapshot snapshot = since.isPresent()
        ? context.cloud().snapshot(item.getCloudVmId(), since.get())
        : context.cloud().snapshot(item.getCloudVmId());
    snapshotId = snapshot.id();
    step("snapshot " + snapshot.id() + " of the cloud disks taken; phase 1 syncs it while the"
        + " cloud VM keeps running");
    // The handle stays open until the verify pass: a KVM snapshot's point-in-time view (a
    // libvirt backup job) ends with its handle.
    heldSnapshot = snapshot;
    phaseOneOutcomes = phaseOne.run(snapshot, since.isPresent());
    if (context.items().get(vmId()).getState() != ProtectionState.FAILBACK_SYNCED) {
      // Not after a controller restart that found the item synced already.
      context.items().transition(vmId(), ProtectionState.FAILING_BACK,
          ProtectionState.FAILBACK_SYNCED, b -> { });
    }
    step("phase 1 verified; waiting for CompleteFailover");
  }

  @Override
  public Optional<DowntimeForecast.Costs> downtimeCosts() throws Exception {
    String snapshot = snapshotId;
    if (snapshot == null || cloudOff != null) {
      return Optional.empty();
    }
    return Optional.of(FailbackCosts.of(context, onPrem.getHostName(), snapshot, onPrem
        .getDisksList().stream().map(d -> d.getVirtualSizeBytes()).toList(), blocks().bytes()));
  }

  /**
   * Failback to an alternate location: the VM is created on the target host (switches named
   * like the cloud VM's adapters, new empty dynamic disks of the cloud disks' sizes) and the
   * item points at it from then on, so a re-run resumes into the same disks.
   */
  private void createOnAlternateHost() throws Exception {
    fenceOriginal();
    CloudVm cloudVm = context.cloud().get(item.getCloudVmId()).orElseThrow(
        () -> new LifecycleException("cloud VM " + item.getCloudVmId() + " is gone"));
    CreateVm.Builder spec = NewVmShape.of(item, original, cloudVm);
    VirtualMachine created = context.hosts().createVm(alternateHost, spec.build());
    context.items().relocate(vmId(), alternateHost, created.getId());
    context.hosts().recordMove(vmId(), item.getOnPremHost(), alternateHost, created.getId(),
        (recreating != null ? "recreated by" : "alternate-location failback,") + " job "
            + jobId);
    onPrem = created;
    context.jobs().addDiskTasks(jobId, vmId(), FlowSupport.diskPaths(created));
    if (recreating != null) {
      step("the on-prem VM " + recreating + ": recreated it there as " + created.getName()
          + " (id " + created.getId() + ", " + created.getDisksCount() + " new disks, the"
          + " cloud VM's shape" + NewVmShape.describeSecureBoot(spec) + "); the full download"
          + " fills them, then it starts. The old definition, if any, stays on the host");
      return;
    }
    step("VM " + created.getName() + " created on host " + alternateHost + " (id "
        + created.getId() + ", " + created.getDisksCount() + " new disks"
        + NewVmShape.describeSecureBoot(spec) + "); the item's on-prem copy lives there now");
  }

  /** The original VM, if its host answers, must stay off: never two live copies. */
  private void fenceOriginal() throws Exception {
    original = Optional.empty();
    try {
      VirtualMachine vm = context.hosts().vm(FlowSupport.onPremVmId(item));
      original = Optional.of(vm);
      context.hosts().stopVm(vm.getHostName(), vm.getId(), item.getGeneration());
    } catch (LifecycleException unreachable) {
      step("original VM not reached (" + unreachable.getMessage() + "); it was off since the"
          + " failover and its generation is now stale");
    }
  }

  @Override
  public Instant sourceStoppingSince() {
    return cloudOff;
  }

  @Override
  public void stopSource() throws Exception {
    if (dataSync != DataSync.FULL_DOWNLOAD) {
      verifyAgainstSnapshot();
      context.items().transition(vmId(), ProtectionState.FAILBACK_SYNCED,
          ProtectionState.FAILBACK_COMPLETING, b -> { });
    }
    cloudOff = context.clock().instant();
    Instant off = cloudOff;
    // Recorded first: a restart during phase 2 measures the downtime from here all the same.
    context.jobs().editResume(jobId, r -> r.putSourceStoppedAt(vmId(),
        com.google.protobuf.util.Timestamps.fromMillis(off.toEpochMilli())));
    if (dataSync == DataSync.FULL_DOWNLOAD) {
      // The path may be new to both processes: compiled while the shutdown holds the job.
      step(context.transfer().warmingUp(plan(SyncMode.FULL, "full"), onPrem.getDisksList()
          .stream().mapToLong(d -> d.getVirtualSizeBytes()).sum(), onPrem.getDisksCount(),
          () -> context.cloud().shutdown(item.getCloudVmId())));
    } else {
      context.cloud().shutdown(item.getCloudVmId());
    }
    context.timings().power(Timings.CLOUD, Timings.Power.STOP,
        Duration.between(cloudOff, context.clock().instant()));
    step(dataSync == DataSync.FULL_DOWNLOAD
        ? "cloud VM off; full download of every non-zero block"
        : "cloud VM off; phase 2 sends what it wrote since the snapshot");
  }

  /**
   * While the cloud VM still runs, re-reads the on-prem disks against phase 1's digests and
   * repairs drift: see {@link EndStateProof}.
   */
  private void verifyAgainstSnapshot() throws Exception {
    if (snapshotId == null) {
      throw new LifecycleException("phase 1's snapshot is not known; re-run the failback");
    }
    List<SyncOutcome> outcomes;
    CloudSnapshot snapshot = heldSnapshot != null ? heldSnapshot
        : context.cloud().openSnapshot(snapshotId);
    try {
      outcomes = transfer(SyncMode.DELTA, "p1v", new PhaseOne(this).disks(snapshot, null));
    } finally {
      heldSnapshot = null;
      quietly("closing the snapshot", snapshot::close);
    }
    step(EndStateProof.verifyPassStep(outcomes));
  }

  @Override
  public void transfer() throws Exception {
    try {
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      boolean tracked = dataSync != DataSync.FULL_DOWNLOAD;
      for (int i = 0; i < onPrem.getDisksCount(); i++) {
        BitSet blocks = null;
        if (dataSync != DataSync.FULL_DOWNLOAD) {
          Optional<BitSet> changed = PhaseTwoChanges.of(context, snapshotId, i, blocks(),
              this::step);
          blocks = changed.orElse(null);
          tracked &= changed.isPresent();
        }
        BlockDevice device = context.cloud().openDisk(item.getCloudVmId(), i, false);
        cloudDisks.add(device);
        disks.add(new DiskTransfer.Disk(i, onPrem.getDisks(i).getPath(), device, blocks));
      }
      if (dataSync == DataSync.FULL_DOWNLOAD) {
        transfer(fullAsDelta ? SyncMode.DELTA : SyncMode.FULL, "full", disks);
        return;
      }
      if (!tracked) {
        step("change tracking unavailable: phase 2 falls back to a checksum pass");
        disks = disks.stream().map(d -> new DiskTransfer.Disk(d.index(), d.onPremPath(),
            d.cloudDisk(), null)).toList();
      }
      transfer(tracked ? SyncMode.TRACKED : SyncMode.DELTA, "p2", disks);
    } finally {
      cloudDisks.forEach(d -> quietly("closing a cloud disk", d::close));
      cloudDisks.clear();
    }
  }

  @Override
  public void startTarget() throws Exception {
    long generation = item.getGeneration();
    Instant starting = context.clock().instant();
    CancelScope.shielded(() -> {
      context.hosts().clearInconsistent(onPrem.getHostName(), onPrem.getId(), generation);
      context.hosts().startVm(onPrem.getHostName(), onPrem.getId(), generation);
    });
    pastNoReturn = true;
    Instant started = context.clock().instant();
    context.timings().power(onPrem.getHostName(), Timings.Power.START,
        Duration.between(starting, started));
    Duration downtime = Duration.between(cloudOff, started);
    context.jobs().editTask(jobId, vmId(), "",
        t -> t.setDowntime(Durations.fromMillis(downtime.toMillis())));
    step("on-prem VM started; downtime " + downtime.toMillis() + " ms");
    releaseSnapshot();
    // The failover's tracking point goes with the baseline: the cloud copy is no longer active.
    FlowSupport.releaseTrackingPoint(context, context.items().get(vmId())
        .getFailoverBaseline().getCloudTrackingPoint());
    context.items().transition(vmId(), null, ProtectionState.FAILED_BACK_COMMIT_PENDING,
        b -> b.clearActiveJobId());
    // A full download made no reference point: reverse replication then compares checksums.
    new Replication(context).record(vmId(), ProtectionState.FAILED_BACK_COMMIT_PENDING,
        phaseOneOutcomes, blocks());
  }

  @Override
  public String host() {
    return alternateHost == null || alternateHost.isEmpty() ? item.getOnPremHost()
        : alternateHost;
  }

  List<SyncOutcome> transfer(SyncMode mode, String phase,
      List<DiskTransfer.Disk> disks) throws Exception {
    FlowSupport.checkCancel(context, jobId);
    DiskTransfer.Plan plan = plan(mode, phase);
    // With the cloud VM off its disks stay as they are: a restarted controller goes on from
    // the lanes' last acknowledged batches.
    List<SyncOutcome> outcomes = context.transfer().run(
        phase.equals("p2") || phase.equals("full") ? plan.resumable(phase) : plan, disks);
    String summary = PhaseReport.record(context, jobId, vmId(), phase, mode, disks, outcomes);
    if (summary != null) {
      step(summary);
    }
    return outcomes;
  }

  private DiskTransfer.Plan plan(SyncMode mode, String phase) {
    return new DiskTransfer.Plan(jobId, vmId(), onPrem.getHostName(), item.getGeneration(),
        mode, SyncRole.TARGET, "job-" + jobId + tag + sessionSuffix + "-" + phase,
        Replication.digestSetPrefix(item), seed, encryption, phase.equals("p1"), undoJournal,
        EndStateProof.readBack(phase)).withBlocks(blocks());
  }

  @Override
  public String abandon(String why, boolean cancelled) {
    if (pastNoReturn) {
      // The on-prem VM runs: restarting the cloud VM now would make two live copies.
      return keptAfterNoReturn();
    }
    // The cloud copy is the only usable one: bring it back rather than extend the outage.
    String cloudVm = cloudOff == null ? ""
        : FlowSupport.restartCloudVm(context.cloud(), item.getCloudVmId()) + "; ";
    // The re-run takes a fresh snapshot; this one would otherwise keep preserving every
    // block the running cloud VM overwrites, for as long as the VM lives.
    releaseSnapshot();
    if (!undoJournal.isEmpty()) {
      try {
        return cloudVm + new FailbackRollback(context).run(context.items().get(vmId()),
            jobId + " " + why);
      } catch (NotFoundException | io.failback.controller.store.StoreException e) {
        // Below, the item keeps its journal name: the rollback is due and runs later.
      }
    }
    quietly("marking the on-prem disks inconsistent", () -> context.items().transition(
        vmId(), null, ProtectionState.FAILBACK_INCONSISTENT,
        b -> b.setInconsistentReason("failback job " + jobId + " " + why
            + "; the on-prem disks may mix old and new blocks. Re-run PlannedFailover")
            .clearActiveJobId()));
    return (cloudOff == null ? "the cloud VM keeps running; " : cloudVm)
        + "the item is FAILBACK_INCONSISTENT: re-run PlannedFailover";
  }

  /**
   * Only a failback snapshots a cloud VM, and one runs at a time per item: a snapshot still
   * there was left by a run that a controller restart cut short, and it would go on
   * preserving every block the guest overwrites for as long as the VM lives.
   */
  private void releaseStaleSnapshots() throws Exception {
    for (String stale : FlowSupport.takenSnapshots(context, item)) {
      if (stale.equals(continuedFrom)) {
        continue;
      }
      context.cloud().releaseSnapshot(stale);
      step("released snapshot " + stale + " left by an interrupted earlier run");
    }
  }

  private void releaseSnapshot() {
    CloudSnapshot held = heldSnapshot;
    if (held != null) {
      heldSnapshot = null;
      quietly("closing the snapshot", held::close);
    }
    String snapshot = snapshotId;
    if (snapshot != null) {
      snapshotId = null;
      quietly("releasing snapshot " + snapshot, () -> context.cloud().releaseSnapshot(snapshot));
    }
  }
}
