package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import com.google.protobuf.util.Durations;
import io.failback.common.disk.BlockDevice;
import io.failback.controller.cloud.CloudSnapshot;
import io.failback.controller.store.StoreException;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The failback: a planned failover from the cloud back on-prem, with sync before failover
 * (phase 1 from a snapshot while the cloud VM runs, phase 2 of only the tracked changes after
 * it stops) or a full download; {@link FailbackCommit} makes it final.
 *
 * <p>From the first on-prem write to the verified end the agent keeps the VM marked
 * inconsistent; any failure or cancel leaves the item FAILBACK_INCONSISTENT, and re-running
 * PlannedFailover resumes with a delta pass that skips what is already equal.
 */
final class FailbackFlow {
  private static final Duration START_STOP_ALLOWANCE = Duration.ofSeconds(2);

  private final LifecycleContext context;
  private final Map<String, Run> runs = new ConcurrentHashMap<>();

  /** One failback job in flight. */
  private static final class Run {
    final String jobId;
    final VirtualMachine vm;
    final String cloudVmId;
    final long seed;
    volatile String snapshotId;
    volatile boolean cancelled;
    volatile double phaseOneRate;

    Run(String jobId, VirtualMachine vm, String cloudVmId, long seed) {
      this.jobId = jobId;
      this.vm = vm;
      this.cloudVmId = cloudVmId;
      this.seed = seed;
    }
  }

  FailbackFlow(LifecycleContext context) {
    this.context = context;
  }

  Job start(ProtectedItem item, DataSync dataSync)
      throws LifecycleException, NotFoundException, IllegalTransitionException, StoreException {
    VirtualMachine vm = context.hosts().vm(item.getVmId());
    if (item.getCloudVmId().isEmpty()) {
      throw new LifecycleException("vm " + item.getVmId() + " has no cloud copy to fail back");
    }
    Job job = context.jobs().create("PlannedFailover", FailoverDirection.CLOUD_TO_ON_PREM, "",
        Map.of(vm.getId(), FlowSupport.diskPaths(vm)));
    Run run = new Run(job.getId(), vm, item.getCloudVmId(), context.seed(job.getId()));
    runs.put(job.getId(), run);
    context.jobs().onCancel(job.getId(), () -> cancel(run));
    context.items().transition(vm.getId(), item.getState(), ProtectionState.FAILING_BACK,
        b -> b.setActiveJobId(job.getId()));
    context.jobs().transition(job.getId(), JobState.JOB_RUNNING);
    context.jobs().step(job.getId(), vm.getId(), "failback (cloud to on-prem) started, data"
        + " sync " + dataSync);
    context.workers().execute(() -> {
      if (dataSync == DataSync.FULL_DOWNLOAD) {
        fullDownload(run);
      } else {
        phaseOne(run);
      }
    });
    return context.jobs().get(job.getId());
  }

  private void phaseOne(Run run) {
    try {
      fence(run);
      releaseStaleSnapshots(run);
      CloudSnapshot snapshot = context.cloud().snapshot(run.cloudVmId);
      run.snapshotId = snapshot.id();
      step(run, "snapshot " + snapshot.id() + " of the cloud disks taken; phase 1 syncs it"
          + " while the cloud VM keeps running");
      Instant started = context.clock().instant();
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      for (int i = 0; i < run.vm.getDisksCount(); i++) {
        disks.add(new DiskTransfer.Disk(i, run.vm.getDisks(i).getPath(), snapshot.disk(i),
            null));
      }
      List<SyncOutcome> outcomes;
      try {
        outcomes = transfer(run, SyncMode.DELTA, "p1", disks);
      } finally {
        quietly("closing the snapshot", snapshot::close);
      }
      long bytes = outcomes.stream().mapToLong(o -> o.controller().progress().blocksScanned())
          .sum() * DiskTransfer.BLOCK_SIZE;
      double seconds = Math.max(0.001,
          Duration.between(started, context.clock().instant()).toMillis() / 1000.0);
      run.phaseOneRate = bytes / seconds;
      Duration predicted = predictedDowntime(run);
      // Under the run's lock, as cancel() is: a cancel that arrived while the last blocks
      // settled either ends the job here or finds the item FAILBACK_SYNCED, never neither.
      synchronized (run) {
        if (run.cancelled) {
          throw new LifecycleException("cancelled by the operator");
        }
        context.items().transition(run.vm.getId(), ProtectionState.FAILING_BACK,
            ProtectionState.FAILBACK_SYNCED, b -> { });
        step(run, "phase 1 verified; waiting for CompleteFailover");
        context.jobs().editTask(run.jobId, run.vm.getId(), "", t -> t.setPredictedDowntime(
            Durations.fromMillis(predicted.toMillis())));
        context.jobs().allowActions(run.jobId, List.of(OperatorAction.COMPLETE_FAILOVER,
            OperatorAction.CANCEL_JOB));
        context.jobs().transition(run.jobId, JobState.JOB_WAITING);
      }
    } catch (Exception e) {
      failed(run, "phase 1", e, false);
    }
  }

  /** Blocks the cloud VM wrote since the snapshot, at the measured phase 1 rate, plus stops. */
  private Duration predictedDowntime(Run run) throws Exception {
    long changed = 0;
    for (int i = 0; i < run.vm.getDisksCount(); i++) {
      changed += context.cloud().changedBlocks(run.snapshotId, i, DiskTransfer.BLOCK_SIZE)
          .map(blocks -> (long) blocks.length).orElse(0L);
    }
    double rate = run.phaseOneRate > 0 ? run.phaseOneRate : 100e6;
    return START_STOP_ALLOWANCE.plusMillis(
        (long) (changed * DiskTransfer.BLOCK_SIZE / rate * 1000));
  }

  Job complete(String jobId)
      throws NotFoundException, IllegalTransitionException, StoreException {
    Run run = runs.get(jobId);
    if (run == null) {
      throw refuseCompletion(context.jobs().get(jobId));
    }
    // Under the run's lock, as cancel() is, so a cancel and a completion cannot both proceed.
    synchronized (run) {
      Job job = context.jobs().get(jobId);
      if (run.cancelled || context.jobs().cancelRequested(jobId)
          || !job.getAllowedActionsList().contains(OperatorAction.COMPLETE_FAILOVER.rpcName())) {
        throw refuseCompletion(job);
      }
      context.items().transition(run.vm.getId(), ProtectionState.FAILBACK_SYNCED,
          ProtectionState.FAILBACK_COMPLETING, b -> { });
      context.jobs().allowActions(jobId, List.of(OperatorAction.CANCEL_JOB));
      context.jobs().transition(jobId, JobState.JOB_RUNNING);
    }
    context.workers().execute(() -> phaseTwo(run));
    return context.jobs().get(jobId);
  }

  private IllegalTransitionException refuseCompletion(Job job) {
    String refused = context.jobs().cancelRequested(job.getId())
        ? "cannot CompleteFailover (a cancel was requested)" : "cannot CompleteFailover";
    return new IllegalTransitionException(refused, "job " + job.getId() + " (" + job.getKind()
        + ")", job.getState().name(), job.getAllowedActionsList());
  }

  private void phaseTwo(Run run) {
    List<BlockDevice> devices = new ArrayList<>();
    try {
      Instant off = context.clock().instant();
      context.cloud().shutdown(run.cloudVmId);
      step(run, "cloud VM off; phase 2 sends what it wrote since the snapshot");
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      boolean tracked = true;
      for (int i = 0; i < run.vm.getDisksCount(); i++) {
        Optional<long[]> changed = context.cloud().changedBlocks(run.snapshotId, i,
            DiskTransfer.BLOCK_SIZE);
        BitSet blocks = null;
        if (changed.isPresent()) {
          blocks = new BitSet();
          for (long block : changed.get()) {
            blocks.set((int) block);
          }
        } else {
          tracked = false;
        }
        BlockDevice device = context.cloud().openDisk(run.cloudVmId, i, false);
        devices.add(device);
        disks.add(new DiskTransfer.Disk(i, run.vm.getDisks(i).getPath(), device, blocks));
      }
      if (!tracked) {
        step(run, "change tracking unavailable: phase 2 falls back to a checksum pass");
        disks = disks.stream().map(d -> new DiskTransfer.Disk(d.index(), d.onPremPath(),
            d.cloudDisk(), null)).toList();
      }
      transfer(run, tracked ? SyncMode.TRACKED : SyncMode.DELTA, "p2", disks);
      startOnPrem(run, off);
      releaseSnapshot(run);
      finished(run);
    } catch (Exception e) {
      failed(run, "phase 2", e, true);
    } finally {
      devices.forEach(d -> quietly("closing a cloud disk", d::close));
    }
  }

  private void fullDownload(Run run) {
    List<BlockDevice> devices = new ArrayList<>();
    try {
      fence(run);
      releaseStaleSnapshots(run);
      Instant off = context.clock().instant();
      context.cloud().shutdown(run.cloudVmId);
      step(run, "cloud VM off; full download of every non-zero block");
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      for (int i = 0; i < run.vm.getDisksCount(); i++) {
        BlockDevice device = context.cloud().openDisk(run.cloudVmId, i, false);
        devices.add(device);
        disks.add(new DiskTransfer.Disk(i, run.vm.getDisks(i).getPath(), device, null));
      }
      transfer(run, SyncMode.FULL, "full", disks);
      startOnPrem(run, off);
      finished(run);
    } catch (Exception e) {
      failed(run, "full download", e, true);
    } finally {
      devices.forEach(d -> quietly("closing a cloud disk", d::close));
    }
  }

  /** Never two live copies: the on-prem VM stays off while the cloud one may run. */
  private void fence(Run run) throws LifecycleException {
    context.hosts().stopVm(run.vm.getHostName(), run.vm.getId());
  }

  private List<SyncOutcome> transfer(Run run, SyncMode mode, String phase,
      List<DiskTransfer.Disk> disks) throws Exception {
    if (run.cancelled) {
      throw new LifecycleException("cancelled by the operator");
    }
    List<SyncOutcome> outcomes = context.transfer().run(new DiskTransfer.Plan(run.jobId,
        run.vm.getId(), run.vm.getHostName(), mode, SyncRole.TARGET,
        "job-" + run.jobId + "-" + phase, "fb-" + run.jobId, run.seed), disks);
    for (int i = 0; i < outcomes.size(); i++) {
      SyncOutcome outcome = outcomes.get(i);
      if (!outcome.digestsMatch()) {
        throw new LifecycleException("disk " + disks.get(i).onPremPath() + ": digests differ,"
            + " cloud " + outcome.controller().diskDigestHex() + ", on-prem "
            + outcome.agent().getDiskDigest());
      }
      context.jobs().editTask(run.jobId, run.vm.getId(), disks.get(i).onPremPath(),
          t -> t.setSourceDigest(outcome.controller().diskDigestHex())
              .setTargetDigest(outcome.agent().getDiskDigest()));
    }
    long scanned = 0;
    long sent = 0;
    long wire = 0;
    for (SyncOutcome outcome : outcomes) {
      scanned += outcome.controller().progress().blocksScanned();
      sent += outcome.controller().progress().blocksSent()
          + outcome.controller().progress().blocksZero();
      wire += outcome.controller().progress().bytesOnWire() + outcome.agent().getBytesOnWire();
    }
    step(run, String.format(java.util.Locale.ROOT, "%s (%s) verified: whole-disk digests equal"
        + " on both sides; %d blocks scanned, %d sent, %.1f MiB on the wire", phase, mode,
        scanned, sent, wire / 1048576.0));
    return outcomes;
  }

  private void startOnPrem(Run run, Instant cloudOff) throws Exception {
    context.hosts().clearInconsistent(run.vm.getHostName(), run.vm.getId());
    context.hosts().startVm(run.vm.getHostName(), run.vm.getId());
    Duration downtime = Duration.between(cloudOff, context.clock().instant());
    context.jobs().editTask(run.jobId, run.vm.getId(), "",
        t -> t.setDowntime(Durations.fromMillis(downtime.toMillis())));
    step(run, "on-prem VM started; downtime " + downtime.toMillis() + " ms");
  }

  private void finished(Run run) throws Exception {
    context.items().transition(run.vm.getId(), null,
        ProtectionState.FAILED_BACK_COMMIT_PENDING, b -> b.clearActiveJobId());
    context.jobs().succeed(run.jobId);
    runs.remove(run.jobId);
  }

  private void cancel(Run run) {
    synchronized (run) {
      run.cancelled = true;
      context.transfer().running().stream().filter(s -> s.startsWith("job-" + run.jobId))
          .forEach(session -> context.transfer().cancel(session, "cancelled by the operator"));
      ProtectedItem item;
      try {
        item = context.items().get(run.vm.getId());
      } catch (Exception e) {
        return;
      }
      if (item.getState() == ProtectionState.FAILBACK_SYNCED) {
        // Waiting between the phases: nothing runs, so the cancel ends the job here.
        failed(run, "waiting for CompleteFailover", new LifecycleException(
            "cancelled by the operator"), false);
      }
    }
  }

  /**
   * Only a failback snapshots a cloud VM, and one runs at a time per item: a snapshot still
   * there was left by a run that a controller restart cut short, and it would go on
   * preserving every block the guest overwrites for as long as the VM lives.
   */
  private void releaseStaleSnapshots(Run run) throws Exception {
    for (String stale : context.cloud().snapshots(run.cloudVmId)) {
      context.cloud().releaseSnapshot(stale);
      step(run, "released snapshot " + stale + " left by an interrupted earlier run");
    }
  }

  private void releaseSnapshot(Run run) {
    String snapshot = run.snapshotId;
    if (snapshot != null) {
      run.snapshotId = null;
      quietly("releasing snapshot " + snapshot, () -> context.cloud().releaseSnapshot(snapshot));
    }
  }

  private void failed(Run run, String phase, Exception cause, boolean cloudWasStopped) {
    String reason = (run.cancelled ? "cancelled during " : "failed during ") + phase + ": "
        + cause.getMessage();
    if (cloudWasStopped) {
      // The cloud copy is the only usable one: bring it back rather than extend the outage.
      quietly("restarting the cloud VM", () -> context.cloud().start(run.cloudVmId));
    }
    // The re-run takes a fresh snapshot; this one would otherwise keep preserving every
    // block the running cloud VM overwrites, for as long as the VM lives.
    releaseSnapshot(run);
    quietly("marking the on-prem disks inconsistent", () -> context.items().transition(
        run.vm.getId(), null, ProtectionState.FAILBACK_INCONSISTENT,
        b -> b.setInconsistentReason("failback job " + run.jobId + " " + reason
            + "; the on-prem disks mix old and new blocks. Re-run PlannedFailover")
            .clearActiveJobId()));
    if (run.cancelled) {
      quietly("ending job " + run.jobId, () -> context.jobs().cancelled(run.jobId, reason));
    } else {
      quietly("failing job " + run.jobId, () -> context.jobs().fail(run.jobId, reason));
    }
    runs.remove(run.jobId);
  }

  private void step(Run run, String description) throws Exception {
    context.jobs().step(run.jobId, run.vm.getId(), description);
  }
}
