package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.controller.tuning.BlockSize;
import io.failback.controller.tuning.BlockSizePolicy;
import io.failback.controller.tuning.CompressionPolicy;
import io.failback.controller.tuning.LanePolicy;
import io.failback.controller.tuning.TransferRequest;
import io.failback.controller.tuning.TransferSettings;
import io.failback.proto.v1.JobResume;
import io.failback.proto.v1.SyncRole;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a transfer moves data with: the job's transfer options where the operator set them, the
 * compression policy's choice for the host's link where not, and for an upload (the agent
 * sends) the lanes its round trip needs where the operator did not ask for lanes.
 */
final class TransferTuner {
  private static final Logger log = LoggerFactory.getLogger(TransferTuner.class);
  /** Why an upload has the lanes an earlier upload of the job chose for the VM. */
  private static final String KEPT = "as for the job's first upload of the VM";

  private final Jobs jobs;
  private final Timings timings;

  TransferTuner(Jobs jobs, Timings timings) {
    this.jobs = jobs;
    this.timings = timings;
  }

  /**
   * @param limit the bytes per second the transfer's bandwidth limits allow now, if any
   * @param disks how many disks the transfer moves at once
   */
  TransferSettings settings(DiskTransfer.Plan plan, OptionalLong limit, int disks) {
    JobResume resume = resume(jobs, plan.jobId());
    TransferRequest asked = asked(plan.jobId(), resume);
    Optional<LanePolicy.Choice> chosen = asked.lanesPerDisk().isEmpty()
        && plan.agentRole() == SyncRole.SOURCE ? Optional.of(uploadLanes(plan, resume, limit,
            disks)) : Optional.empty();
    int lanes = chosen.map(LanePolicy.Choice::lanes).orElse(asked.lanes());
    TransferSettings settings = asked.codec().isPresent()
        ? new TransferSettings(asked.codec().get(), lanes, "asked for the job")
        : plan.agentRole() == SyncRole.SOURCE
            ? CompressionPolicy.choose(plan.host(), "upload link", limit,
                timings.uploadLink(plan.host()), lanes)
            : CompressionPolicy.choose(plan.host(), limit, timings.link(plan.host()), lanes);
    return chosen.map(c -> new TransferSettings(settings.codec(), lanes, settings.because()
        + "; lanes chosen: " + c.because())).orElse(settings);
  }

  /**
   * The block size of a VM's first copy from {@code host}, when no job asked for one
   * ({@link BlockSizePolicy}).
   *
   * @param limit the bytes per second the transfer's bandwidth limits allow now, if any
   */
  BlockSize firstCopy(String host, OptionalLong limit) {
    return BlockSizePolicy.forFirstCopy(host, limit, timings.uploadLink(host),
        timings.link(host));
  }

  /** As {@link #firstCopy}, for a failback to {@code host} with a checksum phase 1. */
  BlockSize failback(String host, OptionalLong limit) {
    return BlockSizePolicy.forFailback(host, limit);
  }

  /**
   * The lanes an earlier upload of the job chose for the VM, else chosen now from the host's
   * round trip and kept with the job: a continued pass must have the lanes its durable
   * checkpoints were made with, whatever the round trip says after a restart.
   */
  private LanePolicy.Choice uploadLanes(DiskTransfer.Plan plan, JobResume resume,
      OptionalLong limit, int disks) {
    Integer kept = resume.getUploadLanesMap().get(plan.vmId());
    if (kept != null && kept >= 1 && kept <= TransferRequest.MAX_LANES) {
      return new LanePolicy.Choice(kept, KEPT);
    }
    LanePolicy.Choice choice = LanePolicy.forUpload(plan.host(), timings.roundTrip(plan.host()),
        limit, disks);
    if (plan.jobId().isEmpty()) {
      return choice;
    }
    try {
      // Under the job's lock: of two transfers of the VM choosing at once, the first one kept
      // is the one both use.
      Integer first = jobs.editResume(plan.jobId(), r -> r.putUploadLanes(plan.vmId(),
          r.getUploadLanesOrDefault(plan.vmId(), choice.lanes()))).getResume()
          .getUploadLanesMap().get(plan.vmId());
      return first == choice.lanes() ? choice : new LanePolicy.Choice(first, KEPT);
    } catch (NotFoundException | IllegalTransitionException | StoreException e) {
      // Not kept: a continued pass may choose other lanes, and then finds no checkpoint made
      // with them (DurableLanes) and starts at the beginning.
      log.warn("job {}: the lanes chosen for VM {} are not kept ({})", plan.jobId(),
          plan.vmId(), e.getMessage());
      return choice;
    }
  }

  /** The record job {@code jobId} keeps of itself; empty for none (a replication cycle). */
  static JobResume resume(Jobs jobs, String jobId) {
    if (jobId.isEmpty()) {
      return JobResume.getDefaultInstance();
    }
    try {
      return jobs.get(jobId).getResume();
    } catch (NotFoundException | StoreException e) {
      log.warn("job {}: its record is unreadable ({}); the controller chooses", jobId,
          e.getMessage());
      return JobResume.getDefaultInstance();
    }
  }

  /** The transfer options job {@code jobId} was asked for; none where its record is unusable. */
  static TransferRequest asked(String jobId, JobResume resume) {
    try {
      return TransferRequest.of(resume.getTransfer());
    } catch (IllegalArgumentException e) {
      // Checked when the job was asked for; a record that no longer reads leaves it to policy.
      log.warn("job {}: its transfer options are unusable ({}); the controller chooses",
          jobId, e.getMessage());
      return TransferRequest.AUTO;
    }
  }
}
