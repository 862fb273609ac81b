package io.failback.controller.lifecycle;

import io.failback.common.disk.BlockDevice;
import io.failback.common.metrics.SyncMeter;
import io.failback.common.sync.MachineCpu;
import io.failback.common.sync.SyncActivity;
import io.failback.common.sync.SyncProgress;
import io.failback.common.sync.Throttle;
import io.failback.controller.store.StoreException;
import io.failback.controller.sync.ChangeReferenceUnknownException;
import io.failback.controller.sync.DiskSyncs;
import io.failback.controller.sync.JobEncryption;
import io.failback.controller.sync.ReadPointGoneException;
import io.failback.controller.sync.SyncOutcome;
import io.failback.controller.tuning.BatchWindow;
import io.failback.controller.tuning.BlockSize;
import io.failback.controller.tuning.TransferSettings;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Syncs the disks of one VM between the cloud and its host, all disks at once, and keeps the
 * job's per-disk progress current while they run.
 */
final class DiskTransfer {
  private static final Logger log = LoggerFactory.getLogger(DiskTransfer.class);

  /** How far back a disk's progress rate looks. */
  static final java.time.Duration RATE_WINDOW = java.time.Duration.ofSeconds(10);

  private final DiskSyncs syncs;
  private final Jobs jobs;
  private final ScheduledExecutorService ticker;
  private final java.time.Clock clock;
  private final Timings timings;
  private final Set<String> running = ConcurrentHashMap.newKeySet();
  private final ResumingSync resuming;
  private final AgentReturn agentReturn;
  private final java.time.Duration stallTimeout;
  private final SyncMeter meter;
  private final DurableLanes lanes;
  private final TransferThrottles throttles;
  private final TransferTuner tuner;
  private final TransferWarmUp warmUp;

  /**
   * One disk of the transfer.
   *
   * @param onPremPath the disk on the host
   * @param cloudDisk the controller-side disk (snapshot view, live disk or replica)
   * @param changed for TRACKED sessions with the controller as source, the blocks written since
   *     the digest set was recorded
   * @param changeReference for TRACKED sessions with the agent as source, the host's reference
   *     point the digest set was recorded after
   */
  record Disk(int index, String onPremPath, BlockDevice cloudDisk, BitSet changed,
      String changeReference) {
    Disk(int index, String onPremPath, BlockDevice cloudDisk, BitSet changed) {
      this(index, onPremPath, cloudDisk, changed, "");
    }
  }

  /**
   * What the sessions of one transfer share.
   *
   * @param generation the item's generation, which the agent checks (fencing)
   * @param encryption the job's payload encryption, or null for none
   */
  record Plan(String jobId, String vmId, String host, long generation, SyncMode mode,
      SyncRole agentRole, String sessionPrefix, String digestSetPrefix, long seed,
      JobEncryption encryption, boolean referenceAfterWrite, String undoJournal,
      ReadBack readBack, String resumeKey, BlockSize blocks) {
    Plan(String jobId, String vmId, String host, long generation, SyncMode mode,
        SyncRole agentRole, String sessionPrefix, String digestSetPrefix, long seed,
        JobEncryption encryption, boolean referenceAfterWrite, String undoJournal,
        ReadBack readBack) {
      this(jobId, vmId, host, generation, mode, agentRole, sessionPrefix, digestSetPrefix, seed,
          encryption, referenceAfterWrite, undoJournal, readBack, "", BlockSize.STANDARD);
    }

    /**
     * The same plan, its lanes' checkpoints kept in the store under {@code key} (a phase of
     * the job, e.g. "p2"): for a source that cannot change until the pass is over.
     */
    Plan resumable(String key) {
      return new Plan(jobId, vmId, host, generation, mode, agentRole, sessionPrefix,
          digestSetPrefix, seed, encryption, referenceAfterWrite, undoJournal, readBack, key,
          blocks);
    }

    /** The same plan with blocks of {@code size} (its digest set's, when it has one). */
    Plan withBlocks(BlockSize size) {
      return new Plan(jobId, vmId, host, generation, mode, agentRole, sessionPrefix,
          digestSetPrefix, seed, encryption, referenceAfterWrite, undoJournal, readBack,
          resumeKey, size);
    }


    /** A plan without end-to-end encryption (TLS only) that asks for no reference point. */
    Plan(String jobId, String vmId, String host, long generation, SyncMode mode,
        SyncRole agentRole, String sessionPrefix, String digestSetPrefix, long seed) {
      this(jobId, vmId, host, generation, mode, agentRole, sessionPrefix, digestSetPrefix, seed,
          null, false, "", ReadBack.NONE);
    }
  }

  /** What the target reads back from its disk to prove the end state, beyond its digests. */
  enum ReadBack {
    NONE,
    /** Every block it writes, once durable. */
    WRITTEN,
    /**
     * A verify pass: the target re-reads every block against the digests the source recorded
     * for the same view (read from its digest set, not from the view) and gets what drifted.
     */
    VERIFY_PASS
  }

  /** @param timings where the transfers from the controller keep what they measured */
  DiskTransfer(DiskSyncs syncs, Jobs jobs, ScheduledExecutorService ticker,
      java.time.Clock clock, Timings timings) {
    this(syncs, jobs, ticker, clock, timings, AgentReturn.NONE, java.time.Duration.ofMinutes(5),
        new SyncMeter(new SimpleMeterRegistry()), DurableLanes.NONE, TransferThrottles.NONE);
  }

  /**
   * @param agentReturn how a sync whose agent was lost waits for it, to resume
   * @param stallTimeout how long a transfer's sessions may move nothing before they are stopped
   * @param meter where the bytes and blocks moved are counted for scraping
   * @param lanes where resumable transfers keep their lanes' checkpoints
   * @param throttles the bandwidth limits each transfer keeps to
   */
  DiskTransfer(DiskSyncs syncs, Jobs jobs, ScheduledExecutorService ticker,
      java.time.Clock clock, Timings timings, AgentReturn agentReturn,
      java.time.Duration stallTimeout, SyncMeter meter, DurableLanes lanes,
      TransferThrottles throttles) {
    this.lanes = lanes;
    this.throttles = throttles;
    this.meter = meter;
    this.stallTimeout = stallTimeout;
    this.syncs = syncs;
    this.jobs = jobs;
    this.ticker = ticker;
    this.clock = clock;
    this.timings = timings;
    this.resuming = new ResumingSync(agentReturn, this::note, clock);
    this.agentReturn = agentReturn;
    this.tuner = new TransferTuner(jobs, timings);
    this.warmUp = new TransferWarmUp(syncs, tuner, throttles);
  }

  /**
   * Blocks until {@code host}'s agent is connected, for as long as a lost agent is waited for
   * (--agent-return-timeout): a job a restarted controller continues waits for its agents.
   */
  void awaitAgent(String host, String jobId) throws LifecycleException, InterruptedException {
    if (agentReturn.connection(host).isEmpty()) {
      agentReturn.await(host, null, jobId);
    }
  }

  /** Runs {@code wait} with a warm-up of {@code plan}'s path beside it: {@link TransferWarmUp}. */
  String warmingUp(Plan plan, long diskBytes, int disks, TransferWarmUp.Wait wait)
      throws Exception {
    return warmUp.during(plan, diskBytes, disks, wait);
  }

  /** The block size of a VM's first copy from {@code host} in job {@code jobId}. */
  BlockSize firstCopyBlocks(String host, String jobId) {
    return tuner.firstCopy(host, throttles.forTransfer(host, jobId).bytesPerSecond());
  }

  /** The block size of a failback to {@code host} in job {@code jobId}, phase 1 a checksum pass. */
  BlockSize failbackBlocks(String host, String jobId) {
    return tuner.failback(host, throttles.forTransfer(host, jobId).bytesPerSecond());
  }

  /** Stops reporting progress; the controller is stopping. */
  void close() {
    ticker.shutdownNow();
    resuming.close();
  }

  /** How long a transfer's sessions may move nothing before they are stopped. */
  java.time.Duration stallTimeout() {
    return stallTimeout;
  }

  /** Session ids now running, for cancellation. */
  Set<String> running() {
    return running;
  }

  /** Stops a running session on both sides. */
  void cancel(String sessionId, String reason) {
    syncs.cancel(sessionId, reason);
  }

  /** Runs every disk; returns the outcomes in disk order or throws the first failure. */
  List<SyncOutcome> run(Plan plan, List<Disk> disks)
      throws LifecycleException, InterruptedException {
    List<CompletableFuture<SyncOutcome>> futures = new ArrayList<>();
    long started = System.nanoTime();
    MachineCpu.Reading cpu = MachineCpu.read();
    // One activity for all disks: they move together, over one link.
    SyncActivity activity = new SyncActivity(System::nanoTime);
    List<SyncProgress> progress = new ArrayList<>();
    List<JobProgressMeter> meters = new ArrayList<>();
    List<SyncMeter.Recorder> recorders = new ArrayList<>();
    Set<String> sessions = ConcurrentHashMap.newKeySet();
    Tags tags = TransferLabels.tags(plan, jobs);
    // One throttle for the transfer: its buckets are the scopes', shared with every transfer.
    Throttle throttle = throttles.forTransfer(plan.host(), plan.jobId());
    TransferSettings settings = tuner.settings(plan, throttle.bytesPerSecond(), disks.size());
    note(plan, "transfer settings: " + settings + ", " + plan.blocks());
    for (Disk disk : disks) {
      SyncProgress counters = new SyncProgress(activity);
      progress.add(counters);
      recorders.add(meter.recorder(tags));
      JobProgressMeter meter = new JobProgressMeter(clock, RATE_WINDOW);
      // Nothing moved at the start: the first rate then covers the time since.
      meter.update(JobProgress.newBuilder().setBytesTotal(disk.cloudDisk().size()).build());
      meters.add(meter);
      futures.add(start(plan, disk, settings, throttle, counters, sessions));
    }
    StallWatch stalls = new StallWatch(sessions, stallTimeout,
        reason -> sessions.forEach(session -> syncs.cancel(session, reason)));
    ScheduledFuture<?> reporting = ticker.scheduleAtFixedRate(
        () -> stalls.check(report(plan, disks, progress, meters, recorders, null)),
        200, 500, TimeUnit.MILLISECONDS);
    FirstDiskFailure first = new FirstDiskFailure("of host " + plan.host(),
        reason -> sessions.forEach(session -> syncs.cancel(session, reason)));
    for (int i = 0; i < futures.size(); i++) {
      first.watch(disks.get(i).onPremPath(), futures.get(i));
    }
    List<SyncOutcome> finished = null;
    try {
      List<SyncOutcome> outcomes = new ArrayList<>();
      for (int i = 0; i < futures.size(); i++) {
        try {
          outcomes.add(futures.get(i).get());
        } catch (ExecutionException e) {
          first.failed(disks.get(i).onPremPath(), e.getCause());
        }
      }
      first.throwIfAny();
      finished = outcomes;
      ReadPointNotes.of(disks, outcomes).forEach(text -> note(plan, text));
      TransferMeasures.record(timings, plan, started, cpu, activity, outcomes);
      return outcomes;
    } finally {
      reporting.cancel(false);
      report(plan, disks, progress, meters, recorders, finished);
      sessions.forEach(running::remove);
      meter.transferTook(tags, System.nanoTime() - started);
    }
  }

  private CompletableFuture<SyncOutcome> start(Plan plan, Disk disk, TransferSettings settings,
      Throttle throttle, SyncProgress counters, Set<String> sessions) {
    SyncParameters planned = TransferLabels.parameters(plan, disk, settings);
    Map<Integer, LaneCheckpoint> durable = lanes.load(plan, disk.index(),
        planned.getLaneCount());
    // Another process wrote the blocks below a durable checkpoint: its list of what it wrote
    // is gone, so the session reads back the whole disk.
    SyncParameters parameters = durable.isEmpty() ? planned : planned.toBuilder()
        .setSessionId(planned.getSessionId() + "-c")
        .setVerifyReread(planned.getVerifyReread() || planned.getRereadWritten()).build();
    if (!durable.isEmpty()) {
      note(plan, "disk " + disk.onPremPath() + ": going on from the last durable checkpoint ("
          + DurableLanes.describe(durable) + "); the blocks below it are on the "
          + (plan.agentRole() == SyncRole.TARGET ? "host" : "cloud disk") + " already");
    }
    CompletableFuture<SyncOutcome> session = resuming.run(plan, disk.onPremPath(), parameters,
        durable, (run, acknowledged, resumed) -> {
          if (resumed) {
            counters.sourceSessionRestarted();
          }
          return start(plan, disk, run, disk.changeReference(), throttle, counters, sessions,
              acknowledged, false);
        }).thenApply(outcome -> {
          lanes.forget(plan, disk.index());
          return outcome.withEarlierSources(counters.earlierSourceSessions());
        });
    if (plan.agentRole() != SyncRole.SOURCE) {
      return session;
    }
    return session.exceptionallyCompose(failure -> {
      Throwable cause = FlowSupport.cause(failure);
      String why = cause instanceof ChangeReferenceUnknownException ? "change tracking unavailable"
          : cause instanceof ReadPointGoneException ? "the read point it was reading is gone"
          : null;
      if (why == null) {
        return CompletableFuture.failedFuture(failure);
      }
      // Refused before reading: a checksum pass records the same digest set afresh, in the read
      // point the agent kept for the refused session under the plan's token (the moment of the
      // VM's other disks), else, or once that is gone too, in a new one.
      lanes.forget(plan, disk.index());
      note(plan, "disk " + disk.onPremPath() + ": " + why + " (" + cause.getMessage()
          + "); falling back to a checksum pass (DELTA) from the start");
      SyncParameters delta = parameters.toBuilder().setMode(SyncMode.DELTA)
          .setBatchesPerEnd(BatchWindow.batchesPerEnd(SyncMode.DELTA))
          .setSessionId(parameters.getSessionId() + "-delta").build();
      BiFunction<SyncParameters, Boolean, CompletableFuture<SyncOutcome>> checksums =
          (run, sameReadPoint) -> start(plan, disk, run, "", throttle, counters, sessions,
              new ConcurrentHashMap<>(), sameReadPoint);
      if (!(cause instanceof ChangeReferenceUnknownException)
          || DurableLanes.readPointToken(plan).isEmpty()) {
        return checksums.apply(delta, false);
      }
      return checksums.apply(delta, true).exceptionallyCompose(gone ->
          FlowSupport.cause(gone) instanceof ReadPointGoneException ? checksums.apply(
              delta.toBuilder().setSessionId(delta.getSessionId() + "-new").build(), false)
              : CompletableFuture.failedFuture(gone));
    });
  }

  /**
   * @param acknowledged each lane's latest acknowledged checkpoint: where the session starts,
   *     kept current as batches are acknowledged
   * @param sameReadPoint whether to read the read point the agent kept under the plan's token
   *     even where no lane has a checkpoint (a refused session's)
   */
  private CompletableFuture<SyncOutcome> start(Plan plan, Disk disk, SyncParameters parameters,
      String changeReference, Throttle throttle, SyncProgress counters, Set<String> sessions,
      Map<Integer, LaneCheckpoint> acknowledged, boolean sameReadPoint) {
    sessions.add(parameters.getSessionId());
    running.add(parameters.getSessionId());
    return syncs.sync(plan.host(), StartSync.newBuilder().setParameters(parameters)
        .setAgentRole(plan.agentRole()).setDiskPath(disk.onPremPath())
        .setGeneration(plan.generation()).setChangeReference(changeReference)
        .setReferenceAfterWrite(plan.referenceAfterWrite())
        .setUndoJournal(plan.undoJournal()).setReadPointToken(DurableLanes.readPointToken(plan))
        // Lanes that start at durable checkpoints read on where the kept read point left off.
        .setContinueReadPoint(plan.agentRole() == SyncRole.SOURCE
            && (sameReadPoint || !acknowledged.isEmpty()))
        .build(),
        disk.cloudDisk(), Map.copyOf(acknowledged),
        checkpoint -> {
          acknowledged.put(checkpoint.getLane(), checkpoint);
          lanes.record(plan, disk.index(), parameters.getLaneCount(), checkpoint);
        }, counters, disk.changed(), plan.encryption(), throttle);
  }

  /** A job step when there is a job, a log line for a delta cycle. */
  void note(Plan plan, String text) {
    log.info((plan.jobId().isEmpty() ? "delta cycle of " : "job " + plan.jobId() + ", ")
        + plan.vmId() + ": " + text);
    if (!plan.jobId().isEmpty()) {
      try {
        jobs.step(plan.jobId(), plan.vmId(), text);
      } catch (NotFoundException | IllegalTransitionException | StoreException e) {
        log.debug("step of job " + plan.jobId() + " not recorded: " + e.getMessage());
      }
    }
  }

  /**
   * Takes one snapshot of each disk's counters and reports it to the meters and, when there is
   * a job, to the job; returns the snapshots.
   *
   * @param outcomes the finished sessions, null while they run or where one failed
   */
  private List<SyncProgress.Snapshot> report(Plan plan, List<Disk> disks,
      List<SyncProgress> progress, List<JobProgressMeter> meters,
      List<SyncMeter.Recorder> recorders, List<SyncOutcome> outcomes) {
    List<SyncProgress.Snapshot> snapshots = new ArrayList<>();
    for (int i = 0; i < disks.size(); i++) {
      SyncProgress.Snapshot now = progress.get(i).snapshot();
      snapshots.add(now);
      recorders.get(i).record(now);
    }
    if (plan.jobId().isEmpty()) {
      return snapshots; // a delta cycle: no job to report to
    }
    DiskProgressReport.toJob(jobs, plan, disks, snapshots, meters, outcomes);
    return snapshots;
  }
}
