package io.failback.controller.lifecycle;

import io.failback.common.ids.HostName;
import io.failback.common.ids.Thumbprint;
import io.failback.common.text.BoundedText;
import io.failback.common.metrics.SyncMeter;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.store.StoreException;
import io.failback.controller.sync.DiskSyncs;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.CloudDevices;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobResume;
import io.failback.proto.v1.PreflightProblem;
import io.failback.proto.v1.PreflightReport;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.TransferOptions;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's lifecycle actions: each checks the item's state, starts a job and returns it
 * at once; the work runs in the background and reports through the job.
 */
public final class Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

  private final LifecycleContext context;
  private final Replication replication;
  private final VmJobs vmJobs;
  /** Serializes the checks and starts of jobs, so two requests cannot take the same VM. */
  private final Object starting = new Object();
  private final RpoWatch rpoWatch;
  private final SettleSweep settle;

  Lifecycle(LifecycleContext context) {
    this.context = context;
    this.rpoWatch = new RpoWatch(context.items());
    this.replication = new Replication(context);
    this.vmJobs = new VmJobs(context);
    this.settle = new SettleSweep(context, starting);
  }

  /** Builds the lifecycle from its parts. */
  public static Lifecycle create(ProtectedItems items, Jobs jobs, Cloud cloud,
      OnPremHosts hosts, DiskSyncs syncs, Clock clock, Path seedDir, long sessionSecret,
      Duration agentReturnTimeout, Duration syncStallTimeout, SyncMeter meter,
      io.failback.controller.store.CheckpointRecords checkpoints, TransferThrottles throttles) {
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(FlowSupport.daemons("job-progress"));
    ExecutorService workers = Executors.newCachedThreadPool(FlowSupport.daemons("lifecycle"));
    Timings timings = new Timings(hosts::roundTrip);
    DurableLanes lanes = new DurableLanes(checkpoints);
    jobs.addListener(job -> {
      if (JobTransitions.isTerminal(job.getState())) {
        lanes.forgetJob(job.getId());
      }
    });
    DiskTransfer transfer = new DiskTransfer(syncs, jobs, ticker, clock, timings, new AgentReturn(
        hosts, jobs, agentReturnTimeout), syncStallTimeout, meter, lanes, throttles);
    return new Lifecycle(new LifecycleContext(items, jobs, cloud, hosts, transfer, workers,
        clock, seedDir, sessionSecret, new ReplicaLocks(), timings, ticker, syncs));
  }

  public List<ProtectedItem> items() throws StoreException {
    return context.items().list();
  }

  public ProtectedItem item(String vmId) throws NotFoundException, StoreException {
    return context.items().get(vmId);
  }

  /** EnableProtection: initial replication of on-prem VMs into new cloud VMs. */
  public Job enableProtection(List<String> vmIds) throws Exception {
    return enableProtection(vmIds, false, TransferOptions.getDefaultInstance(),
        CloudDevices.CLOUD_DEVICES_UNSPECIFIED);
  }

  /**
   * EnableProtection; with {@code dataEncryption} the items' failbacks encrypt block payloads
   * end to end for an encryption certificate the operator selects; {@code transfer} is how the
   * initial replication moves data; {@code devices}, what the cloud VMs' guests see (unspecified:
   * chosen from each guest's OS).
   */
  public Job enableProtection(List<String> vmIds, boolean dataEncryption,
      TransferOptions transfer, CloudDevices devices) throws Exception {
    synchronized (starting) {
      Targets targets = Targets.of(List.copyOf(ItemsToProtect.of(context, vmIds).keySet()));
      Map<String, ProtectedItem> checked = ItemChecks.require(context, targets, OperatorAction.ENABLE_PROTECTION);
      List<VmWork> works = new ArrayList<>();
      int n = 0;
      for (ProtectedItem item : checked.values()) {
        works.add(new ProtectVm(context, item, context.hosts().vm(FlowSupport.onPremVmId(item)),
            false, dataEncryption, devices, tag(n++)));
      }
      return vmJobs.launch(new VmJobs.Kind("EnableProtection",
          FailoverDirection.ON_PREM_TO_CLOUD, false, true, false), targets, works, checked,
          JobResume.newBuilder().setTransfer(transfer).build());
    }
  }

  public Job enableProtection(String vmId) throws Exception {
    return enableProtection(List.of(vmId));
  }

  /**
   * PlannedFailover: towards the cloud for protected VMs, or back on-prem (the failback) for
   * failed-over ones; all VMs of one request go the same way.
   */
  public Job plannedFailover(Targets targets, DataSync dataSync) throws Exception {
    return plannedFailover(targets, dataSync, Optional.empty(), Optional.empty(),
        TransferOptions.getDefaultInstance());
  }

  /**
   * PlannedFailover; a failback goes to {@code targetHost} when it names a host other than an
   * item's own (failback to an alternate location); its transfers use {@code transfer}.
   */
  public Job plannedFailover(Targets targets, DataSync dataSync, Optional<HostName> target,
      Optional<Thumbprint> thumbprint, TransferOptions transfer) throws Exception {
    checkDataSync(dataSync);
    String targetHost = target.map(HostName::value).orElse("");
    String certificate = thumbprint.map(Thumbprint::value).orElse("");
    synchronized (starting) {
      Map<String, ProtectedItem> checked = ItemChecks.require(context, targets, OperatorAction.PLANNED_FAILOVER);
      long toCloud = checked.values().stream()
          .filter(i -> i.getState() == ProtectionState.PROTECTED).count();
      if (toCloud != 0 && toCloud != checked.size()) {
        throw new LifecycleException("the VMs of one PlannedFailover must all move the same"
            + " way: " + ItemChecks.names(checked, true) + " are PROTECTED (failover to the"
            + " cloud), " + ItemChecks.names(checked, false) + " are failed over (failback); run"
            + " two requests");
      }
      if (toCloud > 0) {
        ToCloudRequest.check(checked, dataSync, certificate, transfer);
        ToCloudRequest.checkShapes(context, checked.values());
      }
      if (!targetHost.isEmpty() && checked.values().stream()
          .anyMatch(i -> !targetHost.equalsIgnoreCase(i.getOnPremHost()))) {
        // Before anything is touched: the new host must take every VM of the request.
        List<PreflightProblem> problems = new Preflight(context).problems(targets, targetHost,
            certificate);
        String refusal = "failback to host " + targetHost + " refused: " + BoundedText.list(
            problems, p -> p.getVmId() + ": " + p.getMessage());
        // The same request without target_host is INVALID_ARGUMENT for a missing certificate.
        if (problems.stream().anyMatch(p -> p.getCheck().equals("certificate_missing"))) {
          throw new InvalidArgumentException(refusal);
        }
        if (!problems.isEmpty()) {
          throw new LifecycleException(refusal);
        }
      }
      List<VmWork> works = new ArrayList<>();
      int n = 0;
      DataSync sync = dataSync == DataSync.DATA_SYNC_UNSPECIFIED
          ? DataSync.SYNC_BEFORE_FAILOVER : dataSync;
      // What a restarted controller continues the failback by (JobContinuation).
      JobResume.Builder resume = JobResume.newBuilder().setDataSync(sync)
          .setEncryptionThumbprint(certificate).setTransfer(transfer);
      for (ProtectedItem item : checked.values()) {
        boolean alternate = !targetHost.isEmpty()
            && !targetHost.equalsIgnoreCase(item.getOnPremHost());
        if (alternate && toCloud > 0) {
          throw new LifecycleException("target_host applies to a failback only; vm "
              + item.getVmName() + " is PROTECTED and fails over to the cloud");
        }
        Optional<String> gone = alternate || toCloud > 0 ? Optional.empty()
            : new OnPremLoss(context).of(item);
        if (gone.isPresent() && sync != DataSync.FULL_DOWNLOAD) {
          throw new LifecycleException("the on-prem VM of " + item.getVmName() + " " + gone.get()
              + "; fail back with data_sync FULL_DOWNLOAD to recreate it on host "
              + item.getOnPremHost() + ", or with target_host to another host");
        }
        VirtualMachine vm = alternate || gone.isPresent() ? null
            : context.hosts().vm(FlowSupport.onPremVmId(item));
        if (toCloud == 0) {
          ReplicaShape.requireForFailback(context, item, vm);
        }
        if (toCloud > 0) {
          works.add(new ToCloudVm(context, item, vm, true, tag(n++)));
          continue;
        }
        String host = alternate ? targetHost : item.getOnPremHost();
        FailbackVm work = new FailbackVm(context, item, vm, sync,
            alternate || gone.isPresent() ? host : "",
            new EncryptionChoice(context).select(item, host, certificate), tag(n++));
        gone.ifPresent(work::recreating);
        works.add(work);
        if (alternate) {
          resume.putTargetHosts(item.getVmId(), host);
        }
      }
      VmJobs.Kind kind = toCloud > 0
          ? new VmJobs.Kind("PlannedFailover", FailoverDirection.ON_PREM_TO_CLOUD, false, true,
              true)
          : new VmJobs.Kind("PlannedFailover", FailoverDirection.CLOUD_TO_ON_PREM,
              sync == DataSync.SYNC_BEFORE_FAILOVER, true, true);
      // A failover to the cloud's final sync takes the compression and lanes asked for.
      return vmJobs.launch(kind, targets, works, checked, toCloud > 0
          ? JobResume.newBuilder().setTransfer(transfer).build() : resume.build());
    }
  }

  public Job plannedFailover(String vmId, DataSync dataSync) throws Exception {
    return plannedFailover(Targets.of(List.of(vmId)), dataSync);
  }

  /**
   * PlannedFailover with validate_only: every problem, else an estimate of both data syncs.
   */
  public PreflightReport preflight(Targets targets, DataSync dataSync,
      Optional<HostName> targetHost, Optional<Thumbprint> certificate) throws Exception {
    checkDataSync(dataSync);
    return new Preflight(context).run(targets, dataSync,
        targetHost.map(HostName::value).orElse(""),
        certificate.map(Thumbprint::value).orElse(""));
  }

  /** The operator boundary refuses unknown numbers; this keeps the domain from guessing. */
  private static void checkDataSync(DataSync dataSync) throws InvalidArgumentException {
    if (dataSync == DataSync.UNRECOGNIZED) {
      throw new InvalidArgumentException("data_sync is not a known DataSync value");
    }
  }

  /** UnplannedFailover's pre-flight: problems, and what each VM would start from. */
  public PreflightReport unplannedPreflight(Targets targets) throws Exception {
    return new UnplannedPreflight(context).run(targets);
  }

  /** UnplannedFailover: start the cloud VMs from their last replicas. */
  public Job unplannedFailover(Targets targets) throws Exception {
    synchronized (starting) {
      Map<String, ProtectedItem> checked = ItemChecks.require(context, targets, OperatorAction.UNPLANNED_FAILOVER);
      List<VmWork> works = new ArrayList<>();
      int n = 0;
      for (ProtectedItem item : checked.values()) {
        works.add(new ToCloudVm(context, item, null, false, tag(n++)));
      }
      return vmJobs.launch(new VmJobs.Kind("UnplannedFailover",
          FailoverDirection.ON_PREM_TO_CLOUD, false, true, true), targets, works, checked);
    }
  }

  public Job unplannedFailover(String vmId) throws Exception {
    return unplannedFailover(Targets.of(List.of(vmId)));
  }

  /** CompleteFailover: phase 2 of a failback job waiting after phase 1, for all its VMs. */
  public Job completeFailover(String jobId)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return vmJobs.act(jobId, OperatorAction.COMPLETE_FAILOVER);
  }

  /** ResumeJob: go on after a recovery plan's manual action. */
  public Job resumeJob(String jobId)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return vmJobs.act(jobId, OperatorAction.RESUME_JOB);
  }

  /** Commit: makes failovers or failbacks final ({@link CommitVm}). */
  public Job commit(Targets targets) throws Exception {
    synchronized (starting) {
      return CommitVm.launch(context, vmJobs, targets);
    }
  }

  /** DisableProtection ({@link DisableProtectionVm}); the job names the plans naming a VM. */
  public Job disableProtection(Targets targets, RecoveryPlanLookup plans, boolean keepCloudVm)
      throws Exception {
    synchronized (starting) {
      return DisableProtectionVm.launch(context, vmJobs, targets, plans, keepCloudVm);
    }
  }

  /** RollbackFailback: undoes completed failbacks before commit; null if only validated. */
  public Job rollbackFailback(Targets targets, boolean validateOnly) throws Exception {
    RollbackFailbackVm.checkHosts(context, targets); // may wait for hosts: before the lock
    synchronized (starting) {
      return RollbackFailbackVm.launch(context, vmJobs, targets, validateOnly);
    }
  }

  /** TestFailback, or with {@code cleanup} CleanupTestFailback; null if only validated. */
  public Job testFailback(Targets targets, String targetHost, boolean validateOnly,
      boolean cleanup) throws Exception {
    synchronized (starting) {
      return cleanup ? CleanupTestFailbackVm.launch(context, vmJobs, targets)
          : TestFailbackVm.launch(context, vmJobs, targets, targetHost, validateOnly);
    }
  }

  public Job commit(String vmId) throws Exception {
    return commit(Targets.of(List.of(vmId)));
  }

  /**
   * ReverseReplicate: protect failed-back VMs again, sending only what changed on-prem;
   * {@code transfer} is how the job's replication moves data.
   */
  public Job reverseReplicate(Targets targets, TransferOptions transfer) throws Exception {
    synchronized (starting) {
      return ProtectVm.launchReverse(context, vmJobs, targets, transfer);
    }
  }

  public Job reverseReplicate(String vmId) throws Exception {
    return reverseReplicate(Targets.of(List.of(vmId)), TransferOptions.getDefaultInstance());
  }

  /** One delta cycle of a protected VM to its cloud replica; returns each disk's outcome. */
  public List<SyncOutcome> replicateNow(String vmId) throws LifecycleException,
      NotFoundException, StoreException, InterruptedException {
    return replication.cycle(vmId);
  }

  /** Keeps the sessions and digest sets of a job's VMs apart. */
  private static String tag(int n) {
    return "-v" + n;
  }

  /** {@code listener} hears of every replication cycle's end, scheduled or asked for. */
  public void addCycleListener(Consumer<CycleEnd> listener) {
    replication.addCycleListener(listener);
  }

  /** A delta cycle of each protected VM, a round per host; waits at most {@code atMost}. */
  public void replicateAll(Duration atMost) {
    replication.cycleAll(atMost);
  }

  /**
   * Sets the RPO target of every item named, after checking that each exists and the target is
   * within bounds: all or none change.
   */
  public List<ProtectedItem> setRpoTarget(List<String> vmIds, java.time.Duration target)
      throws InvalidArgumentException, NotFoundException, StoreException {
    return Rpo.setTargets(context.items(), vmIds, target);
  }

  /** SetCloudDevices: see {@link CloudDeviceSetting}. */
  public List<ProtectedItem> setCloudDevices(List<String> vmIds, CloudDevices devices)
      throws Exception {
    synchronized (starting) { // no job starts on the items or their cloud VMs meanwhile
      return new CloudDeviceSetting(context).set(vmIds, devices);
    }
  }

  /** RestartCloudVm: see {@link CloudVmRestart}. */
  public Job restartCloudVm(Targets targets, CloudDevices devices, boolean force)
      throws Exception {
    synchronized (starting) {
      return CloudVmRestart.launch(context, vmJobs, targets, devices, force);
    }
  }

  /** Logs each item's RPO warning when it appears or changes, and when it clears. */
  public void checkRpo() {
    rpoWatch.check();
  }

  /**
   * At start: continues the failbacks a previous controller process left running, fails the
   * other unfinished jobs and settles their items ({@link JobContinuation}).
   *
   * @return the unfinished jobs as they are afterwards
   */
  public List<Job> recover(RecoveryPlanLookup plans) throws StoreException {
    return JobContinuation.run(context, vmJobs, plans);
  }

  /** {@link SettleSweep}, every beat; waits at most {@code atMost} for each host's part. */
  public void settleDue(Duration atMost) {
    settle.run(atMost);
  }

  /** Stops background work. */
  public void close() {
    context.workers().shutdownNow();
    context.transfer().close();
    log.debug("lifecycle stopped");
  }
}
