package io.failback.controller.lifecycle;

import io.failback.common.disk.BlockDevice;
import io.failback.common.sync.SyncProgress;
import io.failback.common.sync.Throttle;
import io.failback.common.sync.WarmUpDisks;
import io.failback.controller.bandwidth.PacedBucket;
import io.failback.controller.sync.DiskSyncs;
import io.failback.controller.sync.SyncOutcome;
import io.failback.controller.tuning.BatchWindow;
import io.failback.controller.tuning.TransferSettings;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A warm-up session with a host's agent while the job waits for something else, stopped when
 * that is over: synthetic blocks ({@link WarmUpDisks}) over the real link, with the settings
 * the transfer after it will have, onto a scratch disk in the agent's memory.
 *
 * <p>Why: both processes compile the transfer path the first time they run it, and a full
 * download runs it with the VMs down. Run while the cloud VM shuts down, the compiling costs
 * no downtime. It stops when the shutdown returns, whether done or not, without waiting for
 * the agent's report: the transfer starts at once. It keeps a pace of its own ({@link
 * #paced}), and none runs beside another transfer with the host.
 */
final class TransferWarmUp {
  private static final Logger log = LoggerFactory.getLogger(TransferWarmUp.class);
  /** Most bytes a warm-up sends: 20 s at its pace. */
  static final long MAX_BYTES = 1L << 30;
  /** A warm-up's pace, 400 Mbit/s: {@link #paced}. */
  static final long PACE_BYTES_PER_SECOND = 50_000_000;

  private final DiskSyncs syncs;
  private final TransferTuner tuner;
  private final TransferThrottles throttles;

  TransferWarmUp(DiskSyncs syncs, TransferTuner tuner, TransferThrottles throttles) {
    this.syncs = syncs;
    this.tuner = tuner;
    this.throttles = throttles;
  }

  /** Something the job waits for, which the warm-up runs beside. */
  interface Wait {
    void run() throws Exception;
  }

  /**
   * Runs {@code wait} with a warm-up of {@code plan}'s path beside it, and stops the warm-up
   * when {@code wait} returns; says what the warm-up did.
   */
  String during(DiskTransfer.Plan plan, long diskBytes, int disks, Wait wait) throws Exception {
    Running running = start(plan, diskBytes, disks);
    try {
      wait.run();
    } catch (Exception | Error e) {
      log.info("job " + plan.jobId() + ": the wait failed (" + e + "); warm-up stopped: "
          + running.stop());
      throw e;
    }
    return running.stop();
  }

  /**
   * Starts warming the path of {@code plan} (a FULL transfer to the agent) with a disk of at
   * most {@code diskBytes}, the VM's, so a small VM is not sent more than it holds.
   */
  private Running start(DiskTransfer.Plan plan, long diskBytes, int disks) {
    int block = plan.blocks().bytes();
    long size = Math.min(MAX_BYTES, diskBytes) / block * block;
    if (size == 0) {
      return new Running("the VM's disks are smaller than a block");
    }
    if (syncs.busy(plan.host())) {
      // Another VM's transfer with the host: it warms the path, and the link is not idle.
      return new Running("a transfer with host " + plan.host() + " runs already");
    }
    Throttle throttle = throttles.forTransfer(plan.host(), plan.jobId());
    TransferSettings settings = tuner.settings(plan, throttle.bytesPerSecond(), disks);
    BlockDevice source = WarmUpDisks.source(size, block);
    SyncParameters parameters = TransferLabels.parameters(plan,
        new DiskTransfer.Disk(0, "", source, null), settings).toBuilder()
        .setSessionId(plan.sessionPrefix() + "-warm").setMode(SyncMode.FULL)
        .setBatchesPerEnd(BatchWindow.batchesPerEnd(SyncMode.FULL))
        .clearDigestSet().setRereadWritten(false).setVerifyReread(false)
        .setSourceDigestsRecorded(false).build();
    StartSync start = StartSync.newBuilder().setParameters(parameters)
        .setAgentRole(SyncRole.TARGET).setWarmUp(true).build();
    SyncProgress progress = new SyncProgress();
    long started = System.nanoTime();
    CompletableFuture<SyncOutcome> session = syncs.sync(plan.host(), start, source, Map.of(),
        checkpoint -> { }, progress, null, plan.encryption(), paced(throttle));
    Running running = new Running(session, progress, parameters.getSessionId(), null);
    session.whenComplete((outcome, failure) -> running.tookNanos = System.nanoTime() - started);
    return running;
  }

  /**
   * Under the bandwidth limits, a warm-up's own pace. Why: what warms a path is time, not bytes.
   * On two cores a warm-up at full speed took the CPU the compiler needed, and once it ended
   * the compiles still queued were dropped as stale (its methods no longer ran); at this pace
   * it keeps running them, beside the compiler, until the shutdown ends.
   */
  private static Throttle paced(Throttle limits) {
    PacedBucket pace = PacedBucket.atRate(PACE_BYTES_PER_SECOND);
    return bytes -> {
      pace.take(bytes);
      limits.take(bytes);
    };
  }

  /** A started warm-up. */
  private final class Running {
    private final CompletableFuture<SyncOutcome> session;
    private final SyncProgress progress;
    private final String sessionId;
    private volatile long tookNanos = -1;
    private final String skipped;

    private Running(String skipped) {
      this(null, null, "", skipped);
    }

    private Running(CompletableFuture<SyncOutcome> session, SyncProgress progress,
        String sessionId, String skipped) {
      this.skipped = skipped;
      this.session = session;
      this.progress = progress;
      this.sessionId = sessionId;
    }

    /** Stops the session if it still runs; says what it did, for the job. */
    String stop() {
      if (session == null) {
        return "no warm-up of the transfer path: " + skipped;
      }
      boolean done = session.isDone();
      if (!done) {
        syncs.cancel(sessionId, "the cloud VM is off: the transfer starts");
      }
      SyncProgress.Snapshot now = progress.snapshot();
      long took = tookNanos >= 0 ? tookNanos : now.elapsedNanos();
      String failed = done && session.isCompletedExceptionally()
          ? session.handle((outcome, failure) -> FlowSupport.cause(failure).getMessage()).join()
          : null;
      if (failed != null && now.blocksSettled() == 0) {
        return "no warm-up of the transfer path (" + failed + ")";
      }
      if (now.blocksSettled() == 0) {
        return "no warm-up of the transfer path: the cloud VM was off before its first block";
      }
      return String.format(Locale.ROOT, "warm-up of the transfer path while the cloud VM shut"
          + " down: %d synthetic blocks settled (%d sent, %d zero, %d held) in %.2f s, %s; none"
          + " of the VM's data, written to no disk", now.blocksSettled(), now.blocksSent(),
          now.blocksZero(), now.blocksEqual(), took / 1e9,
          failed != null ? "then it failed: " + failed
              : done ? "all of them" : "stopped when the VM was off");
    }
  }
}
