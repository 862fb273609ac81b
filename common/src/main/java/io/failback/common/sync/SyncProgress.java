package io.failback.common.sync;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one side of a session, shared by its lanes and read by progress reporters.
 *
 * <p>Logical progress ({@link Snapshot#blocksSettled}) only counts blocks below durable
 * watermarks, so it never runs backwards after a resume; the other counters count work done,
 * including work redone after a cut.
 */
public final class SyncProgress {
  /**
   * The most blocks any count of a session may say, from a peer (2^40: a 64 PiB disk in
   * 64 KiB blocks); more is a lie or a bug, refused where a peer's report comes in.
   */
  public static final long MAX_BLOCKS = 1L << 40;
  /** The most bytes any count of a session may say, from a peer: a PiB. */
  public static final long MAX_BYTES = 1L << 50;
  final AtomicLong blocksScanned = new AtomicLong();
  final AtomicLong blocksEqual = new AtomicLong();
  final AtomicLong blocksZero = new AtomicLong();
  final AtomicLong blocksSent = new AtomicLong();
  final AtomicLong bytesRead = new AtomicLong();
  final AtomicLong bytesWritten = new AtomicLong();
  final AtomicLong bytesOnWire = new AtomicLong();
  final AtomicLong bytesReceived = new AtomicLong();
  final AtomicLong blocksSettled = new AtomicLong();
  final AtomicLong resumes = new AtomicLong();
  /** What the source said it scanned and found equal, at its latest batch end (targets). */
  private final AtomicLong sourceBlocksScanned = new AtomicLong();
  private final AtomicLong sourceBlocksEqual = new AtomicLong();
  private final AtomicLong sourceBytesRead = new AtomicLong();
  /** What earlier sessions of the source said, before it was lost and a new one resumed. */
  private SourceCounts earlierSources = new SourceCounts(0, 0, 0);
  private final long startNanos = System.nanoTime();
  private final Map<Integer, Long> watermarks = new HashMap<>();
  private final SyncActivity activity;

  /** Counters whose lanes' activity is timed on their own. */
  public SyncProgress() {
    this(new SyncActivity());
  }

  /** Counters whose lanes' activity joins {@code activity}, shared with other disks. */
  public SyncProgress(SyncActivity activity) {
    this.activity = activity;
  }

  /** When this side's source lanes checksummed and sent (nothing on a target side). */
  public SyncActivity activity() {
    return activity;
  }

  /**
   * Records that {@code lane} is durable up to {@code watermark}. Only blocks above the lane's
   * highest watermark so far count, so a batch settled again after a resume counts once, and
   * a lane resumed from an earlier run counts what that run made durable.
   */
  synchronized void settle(int lane, long laneFirst, long watermark) {
    long previous = watermarks.getOrDefault(lane, laneFirst);
    if (watermark > previous) {
      blocksSettled.addAndGet(watermark - previous);
      watermarks.put(lane, watermark);
    }
  }

  /** A source's own counts: blocks scanned, blocks found equal, bytes read from its disk. */
  public record SourceCounts(long scanned, long equal, long read) {
    SourceCounts plus(long moreScanned, long moreEqual, long moreRead) {
      return new SourceCounts(scanned + moreScanned, equal + moreEqual, read + moreRead);
    }
  }

  /**
   * The source's session ended and a new one continues it (the agent was lost and came back):
   * its counts start again from zero, so what the ended one said is kept apart and added.
   */
  public synchronized void sourceSessionRestarted() {
    earlierSources = earlierSources.plus(sourceBlocksScanned.getAndSet(0),
        sourceBlocksEqual.getAndSet(0), sourceBytesRead.getAndSet(0));
  }

  /** What the source's sessions before the current one said, at their last batch end. */
  public synchronized SourceCounts earlierSourceSessions() {
    return earlierSources;
  }

  /** The source's session counts from a batch end; they only grow (lanes end out of order). */
  void sourceSaid(long scanned, long equal, long read) {
    sourceBlocksScanned.accumulateAndGet(scanned, Math::max);
    sourceBlocksEqual.accumulateAndGet(equal, Math::max);
    sourceBytesRead.accumulateAndGet(read, Math::max);
  }

  /**
   * A consistent-enough copy of the counters.
   *
   * @param blocksScanned blocks hashed (source: its view; target: its own copy)
   * @param blocksEqual blocks the target already had
   * @param blocksZero blocks that travelled as zero ranges
   * @param blocksSent blocks whose bytes travelled
   * @param bytesRead bytes read from the local disk
   * @param bytesWritten bytes written to the local disk (target)
   * @param bytesOnWire serialized frame bytes this side sent
   * @param bytesReceived serialized frame bytes this side received: with {@code bytesOnWire},
   *     everything the session moved over the link, whichever side was the source
   * @param blocksSettled blocks below the durable watermarks
   * @param resumes lanes restarted from a checkpoint after a broken link
   * @param elapsedNanos time since the session side started
   * @param sourceBlocksScanned on a target: what the source said it scanned, so far (its
   *     sessions before a resume included)
   * @param sourceBlocksEqual on a target: what the source said it found equal, so far
   * @param sourceBytesRead on a target: what the source said it read from its disk, so far
   */
  public record Snapshot(long blocksScanned, long blocksEqual, long blocksZero, long blocksSent,
      long bytesRead, long bytesWritten, long bytesOnWire, long bytesReceived,
      long blocksSettled, long resumes, long elapsedNanos, long sourceBlocksScanned,
      long sourceBlocksEqual, long sourceBytesRead) {
    /** Counters without the source's word (a source side, a test). */
    public Snapshot(long blocksScanned, long blocksEqual, long blocksZero, long blocksSent,
        long bytesRead, long bytesWritten, long bytesOnWire, long bytesReceived,
        long blocksSettled, long resumes, long elapsedNanos) {
      this(blocksScanned, blocksEqual, blocksZero, blocksSent, bytesRead, bytesWritten,
          bytesOnWire, bytesReceived, blocksSettled, resumes, elapsedNanos, 0, 0, 0);
    }

    /** Blocks settled per second since the start: the logical rate, never inflated by redo. */
    public double settledBlocksPerSecond() {
      return elapsedNanos == 0 ? 0 : blocksSettled * 1e9 / elapsedNanos;
    }

    /** Frame bytes both ways: what the session moved over the link. */
    public long bytesBothWays() {
      return bytesOnWire + bytesReceived;
    }

    /** Bytes this side put on the wire per second since the start. */
    public double wireBytesPerSecond() {
      return elapsedNanos == 0 ? 0 : bytesOnWire * 1e9 / elapsedNanos;
    }
  }

  public Snapshot snapshot() {
    SourceCounts earlier = earlierSourceSessions();
    return new Snapshot(blocksScanned.get(), blocksEqual.get(), blocksZero.get(),
        blocksSent.get(), bytesRead.get(), bytesWritten.get(), bytesOnWire.get(),
        bytesReceived.get(),
        blocksSettled.get(), resumes.get(), System.nanoTime() - startNanos,
        earlier.scanned() + sourceBlocksScanned.get(), earlier.equal() + sourceBlocksEqual.get(),
        earlier.read() + sourceBytesRead.get());
  }
}
