package io.failback.controller.lifecycle;

import com.google.protobuf.util.Durations;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobTask;
import java.util.List;

/**
 * A job's whole progress from its disk tasks' progress, which {@link JobProgressMeter} made:
 * counters and rates add up, and the ETA is the bytes left over the rate of the disks still
 * moving, because a job's disks share one link to the host far more often than not.
 */
final class JobProgressTotals {
  private JobProgressTotals() {}

  static JobProgress of(List<JobTask> tasks) {
    JobProgress.Builder total = JobProgress.newBuilder();
    double rate = 0;
    for (JobTask task : tasks) {
      if (task.getDiskPath().isEmpty() || !task.hasProgress()) {
        continue; // a VM's own task carries no bytes
      }
      JobProgress p = task.getProgress();
      total.setBytesTotal(total.getBytesTotal() + p.getBytesTotal())
          .setBytesScanned(total.getBytesScanned() + p.getBytesScanned())
          .setBlocksScanned(total.getBlocksScanned() + p.getBlocksScanned())
          .setBlocksEqual(total.getBlocksEqual() + p.getBlocksEqual())
          .setBlocksZero(total.getBlocksZero() + p.getBlocksZero())
          .setBlocksSent(total.getBlocksSent() + p.getBlocksSent())
          .setBytesRead(total.getBytesRead() + p.getBytesRead())
          .setBytesOnWire(total.getBytesOnWire() + p.getBytesOnWire());
      // A finished disk's rate says nothing about the bytes left on the others.
      if (p.getBytesScanned() < p.getBytesTotal()) {
        rate += p.getBytesPerSecond();
      }
    }
    total.setBytesPerSecond(rate);
    long left = Math.max(0, total.getBytesTotal() - total.getBytesScanned());
    if (total.getBytesTotal() > 0 && left == 0) {
      total.setEta(Durations.ZERO);
    } else if (total.getBytesTotal() > 0 && rate > 0) {
      total.setEta(Durations.fromNanos((long) (left / rate * 1e9)));
    }
    return total.build();
  }
}
