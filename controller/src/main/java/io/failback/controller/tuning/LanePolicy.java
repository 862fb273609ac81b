package io.failback.controller.tuning;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Chooses the lanes per disk of an upload (the agent sends: protection, replication, reverse
 * replication) from the round trip of the host's control stream.
 *
 * <p>Each upload lane has a connection of its own, whose window grpc auto-tunes on the
 * controller to 8 MiB at most and returns at half: a lane carries about
 * {@link #LANE_BYTES_PER_ROUND_TRIP} per round trip (measured 3.4 MB at 120 ms, 1 Gbit/s,
 * docs/BENCHMARKS.md). Filling a link of rate r at round trip t takes r × t in flight, so
 * r × t / 4 MiB lanes, shared among the transfer's disks. The rate planned for is the
 * bandwidth limit in force, else {@link #PLANNED_BITS_PER_SECOND}: an upload's own rate is
 * never measured before it runs, and a lane more than a slow link needs costs a thread and
 * a connection, not speed. Nor is the rate an earlier upload met used: met through too few
 * lanes, it is the windows' rate, and planning for it would keep the lanes too few for good.
 * Downloads need none of this: the agent's own 128 MiB window lets two lanes fill a long link.
 */
public final class LanePolicy {
  /** What one upload lane keeps in flight: half of grpc's largest auto-tuned window, 8 MiB. */
  static final long LANE_BYTES_PER_ROUND_TRIP = 4L << 20;
  /**
   * The link rate planned for when no bandwidth limit says less: the most one host's upload
   * reached on the machines we measured (0.79 of a 1 Gbit/s stream at 120 ms).
   */
  static final long PLANNED_BITS_PER_SECOND = 1_000_000_000L;
  /** Most lanes per disk the controller chooses by itself; the operator may ask up to 16. */
  static final int MAX_CHOSEN_LANES = 8;

  /** Lanes per disk, and why. */
  public record Choice(int lanes, String because) {}

  private LanePolicy() {}

  /**
   * The lanes per disk for an upload of {@code disks} disks from {@code host}.
   *
   * @param roundTrip the least round trip of the host's control stream, if measured
   * @param limitBytesPerSecond the bandwidth limit in force now, if any
   */
  public static Choice forUpload(String host, Optional<Duration> roundTrip,
      OptionalLong limitBytesPerSecond, int disks) {
    if (roundTrip.isEmpty()) {
      return new Choice(TransferRequest.DEFAULT_LANES, "no round trip measured with host "
          + host + " yet");
    }
    long bits = PLANNED_BITS_PER_SECOND;
    String rate = "a planned " + CompressionPolicy.rate(bits);
    if (limitBytesPerSecond.isPresent() && limitBytesPerSecond.getAsLong() * 8 < bits) {
      bits = limitBytesPerSecond.getAsLong() * 8;
      rate = "the bandwidth limit's " + CompressionPolicy.rate(bits);
    }
    double inFlight = bits / 8.0 * roundTrip.get().toNanos() / 1e9;
    long total = (long) Math.ceil(inFlight / LANE_BYTES_PER_ROUND_TRIP);
    int sharing = Math.max(1, disks);
    long perDisk = (total + sharing - 1) / sharing;
    int lanes = (int) Math.max(TransferRequest.DEFAULT_LANES, Math.min(MAX_CHOSEN_LANES,
        perDisk));
    return new Choice(lanes, String.format(Locale.ROOT, "round trip %.1f ms with host %s at %s:"
        + " %.1f MiB in flight, %d MiB per upload lane, %d disk%s", roundTrip.get().toNanos()
        / 1e6, host, rate, inFlight / (1 << 20), LANE_BYTES_PER_ROUND_TRIP >> 20, disks,
        disks == 1 ? "" : "s"));
  }
}
