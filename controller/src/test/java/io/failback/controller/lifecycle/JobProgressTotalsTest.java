package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.util.Durations;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobTask;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobProgressTotalsTest {
  private static JobTask disk(String path, long total, long scanned, double rate) {
    return JobTask.newBuilder().setVmId("vm").setDiskPath(path).setProgress(JobProgress
        .newBuilder().setBytesTotal(total).setBytesScanned(scanned).setBytesOnWire(scanned / 2)
        .setBytesPerSecond(rate)).build();
  }

  @Test
  void disksAddUpAndTheEtaIsTheBytesLeftOverTheRateOfTheDisksStillMoving() {
    JobProgress total = JobProgressTotals.of(List.of(
        JobTask.newBuilder().setVmId("vm").build(),
        disk("/a", 1000, 1000, 500), // finished: its rate is not the others'
        disk("/b", 1000, 200, 100),
        disk("/c", 2000, 400, 300)));
    assertEquals(4000, total.getBytesTotal());
    assertEquals(1600, total.getBytesScanned());
    assertEquals(800, total.getBytesOnWire());
    assertEquals(400, total.getBytesPerSecond(), 1e-9);
    assertEquals(Durations.fromSeconds(6), total.getEta());
  }

  @Test
  void noEtaBeforeAnythingMovedAndZeroOnceAllIsDone() {
    assertFalse(JobProgressTotals.of(List.of(disk("/a", 1000, 0, 0))).hasEta());
    assertEquals(Durations.ZERO, JobProgressTotals.of(List.of(disk("/a", 10, 10, 0))).getEta());
    assertFalse(JobProgressTotals.of(List.of()).hasEta());
  }
}
