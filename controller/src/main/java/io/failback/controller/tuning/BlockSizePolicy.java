package io.failback.controller.tuning;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Chooses a VM's block size where a transfer compares or copies every block anyway and no job
 * asked for one: its first copy (the initial replication of a protection), or a failback whose
 * phase 1 is a checksum pass of every block. It decides from what the controller knows of the
 * host's link: the bandwidth limit in force and what earlier transfers with the host measured
 * while the link held them back. The VM keeps it (a digest set is of one block size), so a
 * later tracked pass compares and sends blocks of that size.
 *
 * <p>On a slow link ({@link #SLOW_LINK_BITS_PER_SECOND} or less, where the compression policy
 * chooses zstd 6: bytes, not CPU, set a transfer's pace) blocks of {@link #SMALL} bytes send a
 * quarter of a 64 KiB block for a change smaller than it: one byte changed in 1 % of the 64 KiB
 * blocks of a 2 GiB disk went as 7.5 MB instead of 22.0 MB, and a failover's final sync after
 * 2,000 scattered 4 KiB writes took 3.7 s of downtime instead of 11.0 s. They cost little
 * elsewhere: their digests are 1/1024 of the disk in a checksum pass (1 GiB for 1 TiB), and
 * zstd 6 compresses 16 KiB blocks to 0.258 of their bytes where 64 KiB blocks gave 0.250, 3 %
 * more on a first copy (bench/sync-benchmark, bench/codec-throughput and
 * bench/slow-link-blocks, docs/BENCHMARKS.md). 4 KiB would send less still for a scattered
 * byte, but its digests are 4 GiB per TiB and its full copy took a third longer. A faster or
 * unknown link keeps the default, the fastest full copy measured.
 */
public final class BlockSizePolicy {
  /** The link rate up to which a VM's first copy takes {@link #SMALL} blocks. */
  static final long SLOW_LINK_BITS_PER_SECOND = 250_000_000L;
  /** A slow link's block size. */
  public static final int SMALL = 16 * 1024;

  private BlockSizePolicy() {}

  /**
   * The block size of a VM's first copy from {@code host}, and why.
   *
   * @param limitBytesPerSecond the bandwidth limit in force now, if any
   * @param uploadLink what the last upload from the host measured, if anything
   * @param downloadLink what the last transfer to the host measured, if anything
   */
  public static BlockSize forFirstCopy(String host, OptionalLong limitBytesPerSecond,
      Optional<CompressionPolicy.Measured> uploadLink,
      Optional<CompressionPolicy.Measured> downloadLink) {
    return forSlowLink("the VM's first copy", host, limitBytesPerSecond, uploadLink,
        downloadLink);
  }

  /**
   * As {@link #forFirstCopy}, for a failback to {@code host} whose phase 1 compares every
   * block's checksum (sync before failover): its phase 2 and the reverse replication after it
   * then send the 16 KiB blocks the cloud and on-prem guests wrote. From the bandwidth limit
   * in force only: a measured rate is "link-bound" whenever the lanes waited for flow control,
   * which on a short path a slow receiver causes too (the suite measured an upload from a
   * loaded agent on loopback at 187 Mbit/s), and a VM that fails back takes the chosen size
   * for good.
   */
  public static BlockSize forFailback(String host, OptionalLong limitBytesPerSecond) {
    return forSlowLink("the failback, whose phase 1 compares every block", host,
        limitBytesPerSecond, Optional.empty(), Optional.empty());
  }

  private static BlockSize forSlowLink(String occasion, String host,
      OptionalLong limitBytesPerSecond, Optional<CompressionPolicy.Measured> uploadLink,
      Optional<CompressionPolicy.Measured> downloadLink) {
    long limitBits = limitBytesPerSecond.isPresent() ? limitBytesPerSecond.getAsLong() * 8
        : Long.MAX_VALUE;
    long uploadBits = linkBits(uploadLink);
    long downloadBits = linkBits(downloadLink);
    long slowest = Math.min(limitBits, Math.min(uploadBits, downloadBits));
    if (slowest > SLOW_LINK_BITS_PER_SECOND) {
      return BlockSize.STANDARD;
    }
    String why = slowest == limitBits ? "the bandwidth limit in force, "
        + CompressionPolicy.rate(limitBits)
        : "host " + host + "'s " + (slowest == uploadBits ? "upload link" : "link")
            + " measured at " + CompressionPolicy.rate(slowest);
    return new BlockSize(SMALL, "chosen for " + occasion + ": " + why + ", is a slow link"
        + " (at most " + CompressionPolicy.rate(SLOW_LINK_BITS_PER_SECOND) + ")");
  }

  /** A measured rate in bits per second, where the link held the lanes back; else no bound. */
  private static long linkBits(Optional<CompressionPolicy.Measured> measured) {
    return measured.filter(CompressionPolicy.Measured::linkBound)
        .map(m -> (long) (m.bytesPerSecond() * 8)).orElse(Long.MAX_VALUE);
  }
}
