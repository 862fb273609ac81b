package io.failback.controller.lifecycle;

import com.google.protobuf.util.Durations;
import io.failback.common.codec.BlockCodec;
import io.failback.common.disk.BlockDevice;
import io.failback.common.hash.BlockDigester;
import io.failback.common.hash.DigestAlgorithm;
import io.failback.common.hash.ZeroBlocks;
import io.failback.controller.tuning.BlockSize;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverEstimate;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.SampleDigests;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.TreeSet;

/**
 * The pre-flight's estimate: hashes a random sample of blocks on both sides (at most
 * {@value #SAMPLE_BLOCKS} per disk) and scales the differing, non-zero and compressed share of
 * the sample to the whole disk; durations use the rate measured on the last sizeable transfer
 * with the host, or {@value #DEFAULT_RATE} bytes/s when none was measured yet. A disk the host
 * cannot read is reported as a problem, never as a failed call.
 */
final class PreflightEstimate {
  static final int SAMPLE_BLOCKS = 1024;
  static final double DEFAULT_RATE = 100e6;
  static final double DEFAULT_CHECKSUM_RATE = 200e6;
  /** Above this share of differing data a checksum pass saves too little to be worth it. */
  static final double FULL_DOWNLOAD_ABOVE = 0.8;

  private final LifecycleContext context;
  private final List<Preflight.Failback> failbacks;
  private final Preflight.Problems problems;

  PreflightEstimate(LifecycleContext context, List<Preflight.Failback> failbacks,
      Preflight.Problems problems) {
    this.context = context;
    this.failbacks = failbacks;
    this.problems = problems;
  }

  /** The estimate, or null when a disk could not be sampled (then a problem says why). */
  FailoverEstimate estimate(boolean fullDownload) throws Exception {
    long total = 0;
    long checksummed = 0;
    double syncBefore = 0;
    double full = 0;
    long sampled = 0;
    long differing = 0;
    long nonZero = 0;
    boolean failed = false;
    SecureRandom random = new SecureRandom();
    long seed = random.nextLong();
    BlockDigester digester = new BlockDigester(DigestAlgorithm.XXH3_128, seed);
    // Durations add up what the last transfers with the hosts measured: a fixed cost, a
    // checksum pass at the hashing rate, the bytes at the rate the lanes sent at (never a rate
    // that includes hashing time); defaults stand in for what was not measured yet.
    HostRates rates = new HostRates(context.timings());
    UndoSpace undo = new UndoSpace(context, problems);
    for (Preflight.Failback failback : failbacks) {
      rates.add(failback.host());
      // Sampled in the blocks a sync before failover would take, what a changed byte costs one
      // of: the VM's, or those the failback chooses under a slow bandwidth limit when the VM
      // has the default (FailbackBlocks).
      int block = failback.item().getBlockSize() != 0
          ? failback.item().getBlockSize()
          : context.transfer().failbackBlocks(failback.host(), "").bytes();
      BlockCodec codec = new BlockCodec(block);
      long vmDiffering = 0;
      long vmSampled = 0;
      long vmTotal = 0;
      int disks = context.cloud().get(failback.item().getCloudVmId()).orElseThrow().disks()
          .size();
      boolean tracked = tracked(failback, disks, block);
      for (int i = 0; i < disks; i++) {
        try (BlockDevice cloud = context.cloud().openDisk(failback.item().getCloudVmId(), i,
            false)) {
          long blocks = (cloud.size() + block - 1) / block;
          long[] sample = sample(blocks, random);
          List<byte[]> theirs = fullDownload ? null : onPremDigests(failback, i, sample, seed,
              digester, block);
          if (theirs == null && !fullDownload) {
            failed = true;
            continue;
          }
          double scale = (double) blocks / sample.length;
          ByteBuffer buffer = ByteBuffer.allocate(block);
          for (int s = 0; s < sample.length; s++) {
            long offset = sample[s] * block;
            buffer.clear().limit((int) Math.min(block, cloud.size() - offset));
            cloud.read(offset, buffer);
            buffer.flip();
            boolean zero = ZeroBlocks.isAllZero(buffer);
            // A full download sends every non-zero block: the on-prem side is not compared.
            boolean differs = fullDownload
                || !Arrays.equals(digester.digest(buffer), theirs.get(s));
            int wire = zero ? 0 : codec.encode(buffer.array(), 0, buffer.limit()).data().length;
            nonZero += zero ? 0 : 1;
            differing += differs ? 1 : 0;
            vmDiffering += differs ? 1 : 0;
            full += wire * scale;
            syncBefore += differs ? wire * scale : 0;
          }
          sampled += sample.length;
          vmSampled += sample.length;
          total += cloud.size();
          checksummed += tracked ? 0 : cloud.size();
          vmTotal += cloud.size();
        }
      }
      undo.check(failback, vmSampled == 0 ? 0
          : (long) Math.ceil((double) vmDiffering / vmSampled * vmTotal));
    }
    if (failed) {
      return null;
    }
    double differingShare = sampled == 0 ? 0 : (double) differing / sampled;
    boolean fullWins = sampled > 0 && differing >= FULL_DOWNLOAD_ABOVE * sampled;
    if (fullDownload) {
      return FailoverEstimate.newBuilder()
          .setBytesTotal(total)
          .setBytesToSendFullDownload((long) full)
          .setUndoJournalBytes(undo.bytes())
          .setDiskGrowthBytes(undo.growth())
          .setDurationFullDownload(Durations.fromNanos(rates.fixedCost().toNanos()
              + (long) (full / rates.send() * 1e9)))
          .setLinkBytesPerSecond(rates.send())
          .setLinkRateMeasured(rates.sendMeasured())
          .setFixedCost(Durations.fromNanos(rates.fixedCost().toNanos()))
          .setBlocksSampled(sampled)
          .setBlocksSampledNonZero(nonZero)
          .setRecommended(DataSync.FULL_DOWNLOAD)
          .setRecommendation("full download requested: every non-zero block is sent, so the"
              + " on-prem disks were not sampled")
          .build();
    }
    return FailoverEstimate.newBuilder()
        .setBytesTotal(total)
        .setBytesToSendSyncBefore((long) syncBefore)
        .setBytesToSendFullDownload((long) full)
        .setUndoJournalBytes(undo.bytes())
        .setDiskGrowthBytes(undo.growth())
        .setDurationSyncBefore(Durations.fromNanos(rates.fixedCost().toNanos()
            + (long) ((checksummed / rates.checksum() + syncBefore / rates.send()) * 1e9)))
        .setBytesChecksummedSyncBefore(checksummed)
        .setDurationFullDownload(Durations.fromNanos(rates.fixedCost().toNanos()
            + (long) (full / rates.send() * 1e9)))
        .setLinkBytesPerSecond(rates.send())
        .setLinkRateMeasured(rates.sendMeasured())
        .setChecksumBytesPerSecond(rates.checksum())
        .setChecksumRateMeasured(rates.checksumMeasured())
        .setFixedCost(Durations.fromNanos(rates.fixedCost().toNanos()))
        .setBlocksSampled(sampled)
        .setBlocksSampledDiffering(differing)
        .setBlocksSampledNonZero(nonZero)
        .setRecommended(fullWins ? DataSync.FULL_DOWNLOAD : DataSync.SYNC_BEFORE_FAILOVER)
        .setRecommendation(fullWins
            ? String.format(Locale.ROOT, "%.0f%% of the sampled blocks differ: a checksum pass"
                + " would save little, a full download skips it", differingShare * 100)
            : String.format(Locale.ROOT, "%.0f%% of the sampled blocks differ: sync before"
                + " failover moves them while the cloud VM runs, and the outage covers only"
                + " what changes after the snapshot", differingShare * 100))
        .build();
  }

  /** Whether the failback's phase 1 would send only the cloud VM's tracked writes. */
  private boolean tracked(Preflight.Failback failback, int disks, int block) throws Exception {
    ProtectedItem item = failback.item();
    boolean newDisks = failback.onPrem() == null || !failback.host().equals(item.getOnPremHost());
    return PhaseOne.whyNot(item, newDisks, disks, block) == null && context.cloud()
        .snapshots(item.getCloudVmId()).contains(item.getFailoverBaseline()
            .getCloudTrackingPoint());
  }

  /**
   * The on-prem digests of the sampled blocks of disk {@code index}: zeros on an alternate host,
   * where the disks start empty; null, with a problem recorded, when the host cannot read it.
   */
  private List<byte[]> onPremDigests(Preflight.Failback failback, int index, long[] sample,
      long seed, BlockDigester digester, int block) {
    if (failback.onPrem() == null) {
      return Collections.nCopies(sample.length, digester.zeroBlockDigest(
          block));
    }
    String path = failback.onPrem().getDisksCount() > index
        ? failback.onPrem().getDisks(index).getPath() : null;
    if (path == null) {
      problems.add(failback.item().getVmId(), "disk_missing", "host " + failback.host()
          + " reports no disk " + index + " for vm " + failback.item().getVmName()
          + ", which has one in the cloud");
      return null;
    }
    try {
      return context.hosts().sampleDigests(failback.host(), SampleDigests.newBuilder()
          .setDiskPath(path)
          .setBlockSize(block)
          .setDigestAlgorithm(io.failback.proto.v1.DigestAlgorithm.XXH3_128)
          .setDigestSeed(seed)
          .addAllBlocks(Arrays.stream(sample).boxed().toList()).build());
    } catch (LifecycleException e) {
      problems.add(failback.item().getVmId(), "disk_unreadable", "host " + failback.host()
          + " cannot read disk " + path + " of vm " + failback.item().getVmName() + " ("
          + e.getMessage() + "); a sync before failover reads it, a full download does not");
      return null;
    }
  }

  /** Up to {@value #SAMPLE_BLOCKS} distinct block indexes, sorted; every block if fewer. */
  private static long[] sample(long blocks, SecureRandom random) {
    if (blocks <= SAMPLE_BLOCKS) {
      long[] all = new long[(int) blocks];
      Arrays.setAll(all, i -> i);
      return all;
    }
    TreeSet<Long> chosen = new TreeSet<>();
    while (chosen.size() < SAMPLE_BLOCKS) {
      chosen.add(Math.floorMod(random.nextLong(), blocks));
    }
    return chosen.stream().mapToLong(Long::longValue).toArray();
  }

}
