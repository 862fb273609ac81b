package io.failback.common.sync;

import java.util.function.LongSupplier;

/**
 * When the source lanes of one or more sessions were busy, and with what: checksumming (reading
 * and hashing the digest batches of a delta pass) or sending (reading, compressing and sending
 * block payloads). A kind's time is the wall time during which at least one lane did it, so
 * bytes over that time is the rate the lanes reached together; the sessions of disks that move
 * together share one instance for the same reason.
 *
 * <p>Target lanes add how long they ran and how long of it they waited for the source's next
 * frame: whether the target or the link held the source back.
 *
 * <p>What is measured is what a prediction needs: a sync's duration is its fixed cost (before
 * the first and after the last section), plus a checksum pass, plus the sending. Thread-safe.
 */
public final class SyncActivity {
  /** What a lane does in a section. */
  public enum Kind { CHECKSUM, SEND }

  private final LongSupplier nanos;
  private final int[] busy = new int[Kind.values().length];
  private final long[] since = new long[Kind.values().length];
  private final long[] busyNanos = new long[Kind.values().length];
  private long sentBytes;
  private long linkWaitNanos;
  private long frameWaitNanos;
  private long targetLaneNanos;
  private long first = -1;
  private long last = -1;

  /**
   * What the lanes did, on the ticker's time line.
   *
   * @param firstNanos when the first section began, or -1 if none did
   * @param lastNanos when the last section ended or the last batch was acknowledged, or -1
   * @param sentBytes frame bytes the lanes sent in their sending sections
   * @param linkWaitNanos time the lanes waited, added up over the lanes, for the link to take
   *     a frame (its flow control or a bandwidth limit): large next to {@code sendNanos} when
   *     the link, not the lanes' reading, hashing and compressing, set the pace
   * @param frameWaitNanos time target lanes waited, added up over the lanes, for the source's
   *     next frame
   * @param targetLaneNanos how long target lanes ran until the source's last frame, added up
   *     over the lanes: with {@code frameWaitNanos} small next to it, the target (its hashing
   *     and writing), not the link, held the source's frames back, and the source's waits on
   *     flow control say nothing of the link
   */
  public record Snapshot(long checksumNanos, long sendNanos, long firstNanos, long lastNanos,
      long sentBytes, long linkWaitNanos, long frameWaitNanos, long targetLaneNanos) {
    /** What the lanes did, without a target's own waits. */
    public Snapshot(long checksumNanos, long sendNanos, long firstNanos, long lastNanos,
        long sentBytes, long linkWaitNanos) {
      this(checksumNanos, sendNanos, firstNanos, lastNanos, sentBytes, linkWaitNanos, 0, 0);
    }

    /** What the lanes did, without knowing how long they waited for the link. */
    public Snapshot(long checksumNanos, long sendNanos, long firstNanos, long lastNanos,
        long sentBytes) {
      this(checksumNanos, sendNanos, firstNanos, lastNanos, sentBytes, 0);
    }

    /**
     * Whether the target's lanes, not the link, held the source back: they seldom waited for
     * a frame (under half their time), so the source's waits on flow control were theirs.
     */
    public boolean targetHeldBack() {
      return targetLaneNanos > 0 && frameWaitNanos * 2 < targetLaneNanos;
    }

    /** The same, with what the target's lanes measured of themselves (another process's). */
    public Snapshot withTarget(long frameWait, long targetLane) {
      return new Snapshot(checksumNanos, sendNanos, firstNanos, lastNanos, sentBytes,
          linkWaitNanos, frameWait, targetLane);
    }

    /** From the first section's start to the last acknowledgement: the lanes' working span. */
    public long activeNanos() {
      return firstNanos < 0 ? 0 : lastNanos - firstNanos;
    }
  }

  /** Sections timed by {@link System#nanoTime}. */
  public SyncActivity() {
    this(System::nanoTime);
  }

  /** Sections timed by {@code nanos}, a monotonic ticker in nanoseconds. */
  public SyncActivity(LongSupplier nanos) {
    this.nanos = nanos;
  }

  /** A lane begins a section of {@code kind}. */
  public synchronized void begin(Kind kind) {
    long now = nanos.getAsLong();
    int k = kind.ordinal();
    if (busy[k]++ == 0) {
      since[k] = now;
    }
    if (first < 0) {
      first = now;
    }
  }

  /** The lane's section of {@code kind} ends, having sent {@code bytes}. */
  public synchronized void end(Kind kind, long bytes) {
    long now = nanos.getAsLong();
    int k = kind.ordinal();
    if (--busy[k] == 0) {
      busyNanos[k] += now - since[k];
    }
    if (kind == Kind.SEND) {
      sentBytes += bytes;
    }
    last = Math.max(last, now);
  }

  /** A lane waited {@code nanos} for the link to take a frame. */
  public synchronized void waitedForLink(long nanos) {
    linkWaitNanos += nanos;
  }

  /**
   * A target lane ran for {@code ranNanos}, from its start to the source's last frame, and
   * waited {@code frameWaitNanos} of it for the source's next frame.
   */
  public synchronized void targetLane(long ranNanos, long frameWaitNanos) {
    targetLaneNanos += ranNanos;
    this.frameWaitNanos += frameWaitNanos;
  }

  /**
   * The target acknowledged a batch: the lanes' work reaches until their last batch is
   * durable, so waiting for the target's hashing and writing is part of it, not of the fixed
   * cost after it.
   */
  public synchronized void acknowledged() {
    if (first >= 0) {
      last = Math.max(last, nanos.getAsLong());
    }
  }

  /** What was measured so far; sections still open count up to now. */
  public synchronized Snapshot snapshot() {
    long now = nanos.getAsLong();
    long[] total = busyNanos.clone();
    for (int k = 0; k < total.length; k++) {
      total[k] += busy[k] > 0 ? now - since[k] : 0;
    }
    boolean open = busy[0] + busy[1] > 0;
    return new Snapshot(total[Kind.CHECKSUM.ordinal()], total[Kind.SEND.ordinal()], first,
        open ? now : last, sentBytes, linkWaitNanos, frameWaitNanos, targetLaneNanos);
  }
}
