package io.failback.common.sync;

import io.failback.common.crypto.JobKey;
import io.failback.common.crypto.KeyCheck;
import io.failback.common.disk.BlockDevice;
import io.failback.common.hash.DiskDigest;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One side of a disk's sync session: runs every lane in parallel, resumes a lane from its last
 * durable checkpoint when its link breaks, and combines the lanes' digest chains into the
 * whole-disk digest.
 *
 * <p>A lane that fails for a reason a retry will not fix fails the session: the other lanes are
 * interrupted and the first cause is thrown.
 */
public final class DiskSync {
  private static final Logger log = LoggerFactory.getLogger(DiskSync.class);
  /** How long the end of a session waits for its interrupted lanes to stop. */
  private static final Duration LANE_STOP = Duration.ofSeconds(10);

  private final SessionGeometry geometry;
  private final SyncRole role;
  private final BlockDevice device;
  private final LaneConnector connector;
  private final Consumer<LaneCheckpoint> durable;
  private final SyncProgress progress;
  private final int maxAttempts;
  private final Duration retryDelay;
  private final GroupFlush flushes;
  private final Options options;
  /**
   * The session's first failure, here or at the peer: the cause. A lane that fails after it
   * (interrupted, or its write refused because the session is being torn down) tells its peer
   * this cause, not its own consequence of it.
   */
  private final AtomicReference<SyncException> firstFailure = new AtomicReference<>();
  private DigestSet digests;

  /**
   * What a side may bring beyond the disk.
   *
   * @param digestSets where this side keeps digest sets; needed when the session names one
   * @param changedBlocks source of a TRACKED session: the blocks written since the digest set
   *     was recorded
   * @param payloadKey the job key of a session whose parameters carry {@code encryption}: the
   *     source seals block payloads with it, the target opens them
   * @param throttle paces every frame this side sends or receives (a bandwidth limit)
   */
  public record Options(DigestSets digestSets, BitSet changedBlocks, JobKey payloadKey,
      Throttle throttle) {
    public static final Options NONE = new Options(null, null, null);

    /** Options of a session without payload encryption. */
    public Options(DigestSets digestSets, BitSet changedBlocks) {
      this(digestSets, changedBlocks, null);
    }

    /** Options of a side that sets no bandwidth limit. */
    public Options(DigestSets digestSets, BitSet changedBlocks, JobKey payloadKey) {
      this(digestSets, changedBlocks, payloadKey, Throttle.NONE);
    }
  }

  /** The outcome of a completed session on this side. */
  public record Result(byte[] diskDigest, List<byte[]> laneChains,
      SyncProgress.Snapshot progress) {
    public String diskDigestHex() {
      return DiskDigest.hex(diskDigest);
    }
  }

  /**
   * Prepares a session side.
   *
   * @param durable called with each checkpoint once it is durable; the side that persists
   *     checkpoints stores them here, the other side passes a no-op
   */
  public DiskSync(SyncParameters parameters, SyncRole role, BlockDevice device,
      LaneConnector connector, Consumer<LaneCheckpoint> durable, SyncProgress progress,
      int maxAttempts, Duration retryDelay) throws SyncException {
    this(parameters, role, device, connector, durable, progress, maxAttempts, retryDelay,
        Options.NONE);
  }

  /** Prepares a session side with digest sets and, for a TRACKED source, changed blocks. */
  public DiskSync(SyncParameters parameters, SyncRole role, BlockDevice device,
      LaneConnector connector, Consumer<LaneCheckpoint> durable, SyncProgress progress,
      int maxAttempts, Duration retryDelay, Options options) throws SyncException {
    this.geometry = SessionGeometry.of(parameters, device.logicalSectorSize());
    if (!parameters.getDigestSet().isEmpty() && options.digestSets() == null) {
      throw SyncException.precondition("the session records digest set '%s' but this side"
          + " has no place for digest sets", parameters.getDigestSet());
    }
    if (parameters.getMode() == SyncMode.TRACKED && role == SyncRole.SOURCE
        && options.changedBlocks() == null) {
      throw SyncException.precondition("a TRACKED source needs the changed blocks");
    }
    checkEncryption(parameters, options.payloadKey());
    this.options = options;
    if (parameters.getDiskSize() != device.size()) {
      throw SyncException.precondition("disk sizes differ: the session is for %d bytes, this"
          + " disk has %d", parameters.getDiskSize(), device.size());
    }
    if (role == SyncRole.TARGET && !device.writable()) {
      throw SyncException.precondition("the target disk is open read-only");
    }
    this.role = role;
    this.device = device;
    this.connector = connector;
    this.durable = durable;
    this.progress = progress;
    this.maxAttempts = maxAttempts;
    this.retryDelay = retryDelay;
    this.flushes = new GroupFlush(device);
  }

  /**
   * Checks that {@code key} (null for none) is the payload key {@code parameters} call for:
   * both sides must agree on whether payloads are sealed, and under which job's key. Call it
   * before touching the disk; the constructor calls it too.
   */
  public static void checkEncryption(SyncParameters parameters, JobKey key)
      throws SyncException {
    if (!parameters.hasEncryption()) {
      if (key != null) {
        throw SyncException.precondition("this side has a payload key but session %s is not"
            + " encrypted", parameters.getSessionId());
      }
      return;
    }
    if (key == null) {
      throw SyncException.precondition("session %s is encrypted but this side has no payload"
          + " key", parameters.getSessionId());
    }
    if (!key.keyId().equals(parameters.getEncryption().getKeyId())) {
      throw SyncException.precondition("session %s is encrypted under key '%s', this side"
          + " holds key '%s'", parameters.getSessionId(), parameters.getEncryption().getKeyId(),
          key.keyId());
    }
    if (!KeyCheck.verify(key, parameters.getEncryption().getKeyCheck().toByteArray())) {
      throw SyncException.precondition("session %s: this side's key for '%s' does not match"
          + " the session's key check; it would not open a single block",
          parameters.getSessionId(), key.keyId());
    }
  }

  /** Runs every lane to completion; blocks until the session ends. */
  public Result run() throws SyncException, InterruptedException {
    SyncParameters parameters = geometry.parameters();
    if (!parameters.getDigestSet().isEmpty()) {
      digests = options.digestSets().open(parameters.getDigestSet(), new DigestSet.Shape(
          parameters.getDigestAlgorithm().name(), parameters.getDigestSeed(),
          parameters.getBlockSize(), geometry.blockCount(),
          Digests.algorithm(parameters.getDigestAlgorithm()).digestLength()),
          parameters.getMode() == SyncMode.TRACKED || parameters.getSourceDigestsRecorded());
    }
    try {
      return runLanes();
    } finally {
      if (digests != null) {
        try {
          digests.close();
        } catch (java.io.IOException e) {
          log.warn("closing the digest set: " + e.getMessage());
        }
      }
    }
  }

  private Result runLanes() throws SyncException, InterruptedException {
    ExecutorService lanes = Executors.newFixedThreadPool(geometry.laneCount(), r -> {
      Thread thread = new Thread(r, "sync-" + geometry.parameters().getSessionId() + "-"
          + role.name().toLowerCase());
      thread.setDaemon(true);
      return thread;
    });
    try {
      CompletionService<byte[]> done = new ExecutorCompletionService<>(lanes);
      Map<Future<byte[]>, Integer> laneOf = new HashMap<>();
      for (int lane = 0; lane < geometry.laneCount(); lane++) {
        int index = lane;
        laneOf.put(done.submit(() -> runLane(index)), index);
      }
      byte[][] chains = new byte[geometry.laneCount()][];
      for (int i = 0; i < geometry.laneCount(); i++) {
        // Completion order, so the first failing lane ends the session at once.
        Future<byte[]> future = done.take();
        try {
          chains[laneOf.get(future)] = await(future);
        } catch (SyncException e) {
          SyncException first = firstFailure.get();
          throw first != null ? first : e;
        }
      }
      List<byte[]> ordered = List.of(chains);
      return new Result(DiskDigest.combine(ordered), ordered, progress.snapshot());
    } finally {
      lanes.shutdownNow();
      awaitStopped(lanes);
    }
  }

  /** The caller closes the disk next: no lane may still be writing to it then. */
  private void awaitStopped(ExecutorService lanes) {
    try {
      if (!lanes.awaitTermination(LANE_STOP.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn(geometry.parameters().getSessionId() + ": a lane did not stop within "
            + LANE_STOP.toSeconds() + " s of the session ending");
      }
    } catch (InterruptedException e) {
      // Stopping (the agent's own shutdown): the session's outcome is thrown as it was.
      Thread.currentThread().interrupt();
    }
  }

  private static byte[] await(Future<byte[]> future)
      throws SyncException, InterruptedException {
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SyncException sync) {
        throw sync;
      }
      if (e.getCause() instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      throw new SyncException(SyncException.Kind.DISK, "lane failed: " + e.getCause(),
          e.getCause());
    }
  }

  private byte[] runLane(int lane) throws SyncException, InterruptedException {
    LaneContext context = new LaneContext(geometry, lane, device, flushes, digests,
        options.changedBlocks(), options.payloadKey(), options.throttle(), progress);
    for (int attempt = 1; ; attempt++) {
      FrameLink link = null;
      try {
        LaneConnector.OpenLane open = connector.open(lane);
        link = open.link();
        LaneCheckpoint start = open.start() != null ? open.start()
            : LaneCheckpoint.newBuilder().setLane(lane).setWatermarkBlock(context.first).build();
        progress.settle(lane, context.first, start.getWatermarkBlock());
        byte[] chain = role == SyncRole.SOURCE
            ? new LaneSource(context, link, durable).run(start)
            : new LaneTarget(context, link, durable).run(start);
        link.close();
        return chain;
      } catch (LinkException e) {
        if (link != null) {
          link.close();
        }
        if (attempt >= maxAttempts) {
          throw new SyncException(SyncException.Kind.FAILED_PRECONDITION, context.describe()
              + ": link broke " + attempt + " times, giving up: " + e.getMessage(), e);
        }
        progress.resumes.incrementAndGet();
        log.info(context.describe() + ": link broke (" + e.getMessage()
            + "); resuming from the last checkpoint");
        Thread.sleep(retryDelay.toMillis());
      } catch (SyncException e) {
        failed(link, e);
        throw e;
      } catch (RuntimeException e) {
        // A bug, or hostile input no check caught: the session fails as a DISK error as it
        // would from await(), and the peer is told, or its stream would stay open.
        SyncException failure = new SyncException(SyncException.Kind.DISK, "lane failed: " + e,
            e);
        failed(link, failure);
        throw failure;
      }
    }
  }

  /**
   * Records the session's first failure and tells the lane's peer, unless it raised it; then
   * this side of the link has ended too, or a stream the peer gave up stays open until the
   * peer ends it.
   */
  private void failed(FrameLink link, SyncException e) {
    SyncException first = firstFailure.compareAndExchange(null, e);
    // The peer knows its own failure; a local one it does not.
    SyncException told = first != null && !first.remote() ? first : e;
    if (link != null && !told.remote()) {
      link.fail(told);
    } else if (link != null) {
      link.close();
    }
  }
}
