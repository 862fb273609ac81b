package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.controller.tuning.CompressionPolicy;
import io.failback.controller.tuning.TransferRequest;
import io.failback.controller.tuning.TransferSettings;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a transfer moves data with: the job's transfer options where the operator set them, the
 * compression policy's choice for the host's link where not.
 */
final class TransferTuner {
  private static final Logger log = LoggerFactory.getLogger(TransferTuner.class);

  private final Jobs jobs;
  private final Timings timings;

  TransferTuner(Jobs jobs, Timings timings) {
    this.jobs = jobs;
    this.timings = timings;
  }

  /** @param limit the bytes per second the transfer's bandwidth limits allow now, if any */
  TransferSettings settings(DiskTransfer.Plan plan, OptionalLong limit) {
    TransferRequest asked = asked(plan);
    if (asked.codec().isPresent()) {
      return new TransferSettings(asked.codec().get(), asked.lanes(), "asked for the job");
    }
    return CompressionPolicy.choose(plan.host(), limit, timings.link(plan.host()),
        asked.lanes());
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
