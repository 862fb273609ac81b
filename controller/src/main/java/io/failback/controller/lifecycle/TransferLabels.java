package io.failback.controller.lifecycle;

import io.failback.common.codec.CompressionMethods;
import io.failback.common.codec.Encoding;
import io.failback.common.metrics.SyncMeter;
import io.failback.controller.store.StoreException;
import io.failback.controller.tuning.BatchWindow;
import io.failback.controller.tuning.TransferSettings;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import io.micrometer.core.instrument.Tags;

/** What a transfer's sessions are asked to do, and how their metrics are labelled. */
final class TransferLabels {
  private TransferLabels() {}

  /** The session of one disk of {@code plan}: geometry, hashing, what is read back. */
  static SyncParameters parameters(DiskTransfer.Plan plan, DiskTransfer.Disk disk,
      TransferSettings settings) {
    long size = disk.cloudDisk().size();
    return SyncParameters.newBuilder()
        .setSessionId(plan.sessionPrefix() + "-d" + disk.index())
        .setMode(plan.mode())
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128)
        .setDigestSeed(plan.seed() + disk.index())
        .setBlockSize(plan.blocks().bytes())
        .setBlocksPerBatch(plan.blocks().blocksPerBatch())
        .setDiskSize(size)
        .setLaneCount(settings.lanesPerDisk())
        .setWindowBatches(BatchWindow.BATCHES)
        // An agent that predates it gets one batch per end (SyncStreams clears it).
        .setBatchesPerEnd(BatchWindow.batchesPerEnd(plan.mode()))
        // An agent that predates compression methods reads the flag: LZ4 or nothing.
        .setCompress(settings.codec().encoding() != Encoding.RAW)
        .setCompression(CompressionMethods.method(settings.codec()))
        .setCompressionLevel(settings.codec().level())
        .setDigestSet(plan.digestSetPrefix().isEmpty() ? ""
            : plan.digestSetPrefix() + "-d" + disk.index())
        .setSourceDigestsRecorded(plan.readBack() == DiskTransfer.ReadBack.VERIFY_PASS)
        .setRereadWritten(plan.readBack() != DiskTransfer.ReadBack.NONE)
        .setSendEveryChanged(sendsEveryChanged(plan))
        .build();
  }

  /**
   * A failback's tracked phase 1 (the one pass that asks the host for a reference point) sends
   * every block the cloud VM wrote, even one whose digest both sides recorded: a run undone
   * (rolled back) or cut short since the failover recorded digests of blocks the on-prem disks
   * may no longer hold. Phase 2 follows a phase 1 that recorded exactly what it wrote.
   */
  private static boolean sendsEveryChanged(DiskTransfer.Plan plan) {
    return plan.mode() == io.failback.proto.v1.SyncMode.TRACKED
        && plan.agentRole() == SyncRole.TARGET && plan.referenceAfterWrite();
  }

  /**
   * The transfer's labels for metrics: the job's kind (a scheduled replication cycle has no
   * job), which way the data goes, how it is compared, and what is read back.
   */
  static Tags tags(DiskTransfer.Plan plan, Jobs jobs) {
    String kind = "ReplicationCycle";
    if (!plan.jobId().isEmpty()) {
      try {
        kind = jobs.get(plan.jobId()).getKind();
      } catch (NotFoundException | StoreException e) {
        kind = "unknown";
      }
    }
    return Tags.of("kind", kind,
        "direction", plan.agentRole() == SyncRole.TARGET ? SyncMeter.TO_ONPREM
            : SyncMeter.TO_CLOUD,
        "mode", plan.mode().name().toLowerCase(java.util.Locale.ROOT),
        "pass", plan.readBack() == DiskTransfer.ReadBack.VERIFY_PASS ? "verify" : "copy");
  }
}
