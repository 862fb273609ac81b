package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.controller.tuning.CompressionPolicy;
import io.failback.controller.tuning.LanePolicy;
import io.failback.controller.tuning.TransferRequest;
import io.failback.controller.tuning.TransferSettings;
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
    TransferRequest asked = asked(plan);
    Optional<LanePolicy.Choice> chosen = asked.lanesPerDisk().isEmpty()
        && plan.agentRole() == SyncRole.SOURCE ? Optional.of(LanePolicy.forUpload(plan.host(),
            timings.roundTrip(plan.host()), limit, disks)) : Optional.empty();
    int lanes = chosen.map(LanePolicy.Choice::lanes).orElse(asked.lanes());
    TransferSettings settings = asked.codec().isPresent()
        ? new TransferSettings(asked.codec().get(), lanes, "asked for the job")
        : CompressionPolicy.choose(plan.host(), limit, timings.link(plan.host()), lanes);
    return chosen.map(c -> new TransferSettings(settings.codec(), lanes, settings.because()
        + "; lanes chosen: " + c.because())).orElse(settings);
  }

  private TransferRequest asked(DiskTransfer.Plan plan) {
    if (plan.jobId().isEmpty()) {
      return TransferRequest.AUTO;
    }
    try {
      return TransferRequest.of(jobs.get(plan.jobId()).getResume().getTransfer());
    } catch (NotFoundException | StoreException | IllegalArgumentException e) {
      // Checked when the job was asked for; a record that no longer reads leaves it to policy.
      log.warn("job {}: its transfer options are unusable ({}); the controller chooses",
          plan.jobId(), e.getMessage());
      return TransferRequest.AUTO;
    }
  }
}
