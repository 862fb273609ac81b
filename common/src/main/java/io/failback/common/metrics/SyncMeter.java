package io.failback.common.metrics;

import io.failback.common.sync.SyncProgress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Sync counters in a meter registry, fed from {@link SyncProgress} snapshots: the same numbers
 * the job shows, added as they grow. Tags say which way the data went ({@code direction}:
 * {@code cloud_to_onprem} for a failback, {@code onprem_to_cloud} for protection and reverse
 * replication) and the sync {@code mode}; the controller adds the job's {@code kind} and the
 * {@code pass}. The agent counts a warm-up session's blocks (synthetic, onto a scratch disk)
 * under direction {@code warm_up}, apart from any VM's; the controller does not count them.
 */
public final class SyncMeter {
  /** Tag value of a failback's direction. */
  public static final String TO_ONPREM = "cloud_to_onprem";
  /** Tag value of protection's and reverse replication's direction. */
  public static final String TO_CLOUD = "onprem_to_cloud";
  /** Tag value of a warm-up session's direction (StartSync.warm_up). */
  public static final String WARM_UP = "warm_up";

  private final MeterRegistry registry;

  public SyncMeter(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Records how long one transfer (every disk of a VM for one pass) took. */
  public void transferTook(Tags tags, long nanos) {
    Timer.builder("failback.sync.transfer.duration")
        .description("How long a transfer of a VM's disks took: a pass of a job's phase")
        .publishPercentileHistogram().tags(tags).register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A recorder for one session (or one disk of a transfer, across its resumes). */
  public Recorder recorder(Tags tags) {
    return new Recorder(registry, tags);
  }

  /** Adds what grew since the last snapshot it saw. */
  public static final class Recorder {
    private final Counter blocksScanned;
    private final Counter blocksEqual;
    private final Counter blocksZero;
    private final Counter blocksSent;
    private final Counter bytesRead;
    private final Counter bytesWritten;
    private final Counter wireSent;
    private final Counter wireReceived;
    private final Counter resumes;
    private SyncProgress.Snapshot last = new SyncProgress.Snapshot(0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0);

    Recorder(MeterRegistry registry, Tags tags) {
      blocksScanned = blocks(registry, tags, "scanned");
      blocksEqual = blocks(registry, tags, "equal");
      blocksZero = blocks(registry, tags, "zero");
      blocksSent = blocks(registry, tags, "sent");
      bytesRead = Counter.builder("failback.sync.disk.read").baseUnit("bytes")
          .description("Bytes read from local disks by syncs").tags(tags).register(registry);
      bytesWritten = Counter.builder("failback.sync.disk.written").baseUnit("bytes")
          .description("Bytes written to local disks by syncs").tags(tags).register(registry);
      wireSent = Counter.builder("failback.sync.wire.sent").baseUnit("bytes")
          .description("Sync frame bytes this process sent").tags(tags).register(registry);
      wireReceived = Counter.builder("failback.sync.wire.received").baseUnit("bytes")
          .description("Sync frame bytes this process received").tags(tags).register(registry);
      resumes = Counter.builder("failback.sync.lane.resumes")
          .description("Lanes restarted from a checkpoint after a broken link").tags(tags)
          .register(registry);
    }

    private static Counter blocks(MeterRegistry registry, Tags tags, String result) {
      return Counter.builder("failback.sync.blocks")
          .description("Blocks by what the sync did with them: scanned (hashed), equal (the"
              + " target had them), zero (sent as a zero range), sent (bytes travelled)")
          .tags(tags).tag("result", result).register(registry);
    }

    /** Adds the growth since the previous call; counters never go back. */
    public synchronized void record(SyncProgress.Snapshot now) {
      blocksScanned.increment(grown(now.blocksScanned(), last.blocksScanned()));
      blocksEqual.increment(grown(now.blocksEqual(), last.blocksEqual()));
      blocksZero.increment(grown(now.blocksZero(), last.blocksZero()));
      blocksSent.increment(grown(now.blocksSent(), last.blocksSent()));
      bytesRead.increment(grown(now.bytesRead(), last.bytesRead()));
      bytesWritten.increment(grown(now.bytesWritten(), last.bytesWritten()));
      wireSent.increment(grown(now.bytesOnWire(), last.bytesOnWire()));
      wireReceived.increment(grown(now.bytesReceived(), last.bytesReceived()));
      resumes.increment(grown(now.resumes(), last.resumes()));
      last = now;
    }

    private static double grown(long now, long before) {
      return Math.max(0, now - before);
    }
  }
}
