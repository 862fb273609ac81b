package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SyncActivityTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final SyncActivity activity = new SyncActivity(now::get);

  @Test
  void eachKindCountsTheTimeAnyLaneSpentInItOnce() {
    activity.begin(SyncActivity.Kind.CHECKSUM); // lane 0 at 1,000
    now.set(1_500);
    activity.begin(SyncActivity.Kind.CHECKSUM); // lane 1 overlaps
    now.set(2_000);
    activity.end(SyncActivity.Kind.CHECKSUM, 0);
    activity.begin(SyncActivity.Kind.SEND); // lane 0 sends while lane 1 still checksums
    now.set(3_000);
    activity.end(SyncActivity.Kind.CHECKSUM, 0);
    now.set(3_500);
    activity.end(SyncActivity.Kind.SEND, 700);
    now.set(9_000); // idle: waiting for the target is neither kind
    activity.begin(SyncActivity.Kind.SEND);
    now.set(9_500);
    activity.end(SyncActivity.Kind.SEND, 300);

    SyncActivity.Snapshot done = activity.snapshot();
    assertEquals(2_000, done.checksumNanos());
    assertEquals(2_000, done.sendNanos());
    assertEquals(1_000, done.firstNanos());
    assertEquals(9_500, done.lastNanos());
    assertEquals(8_500, done.activeNanos());
    assertEquals(1_000, done.sentBytes());
  }

  @Test
  void theWorkingSpanLastsUntilTheLastAcknowledgement() {
    activity.acknowledged(); // nothing began: nothing to extend
    assertEquals(-1, activity.snapshot().lastNanos());
    activity.begin(SyncActivity.Kind.SEND);
    now.set(1_200);
    activity.end(SyncActivity.Kind.SEND, 10);
    now.set(4_000); // the target was still hashing and writing
    activity.acknowledged();
    now.set(5_000);
    assertEquals(3_000, activity.snapshot().activeNanos());
    assertEquals(200, activity.snapshot().sendNanos());
  }

  @Test
  void anOpenSectionCountsUpToNowAndNothingIsNothing() {
    assertEquals(0, activity.snapshot().activeNanos());
    assertEquals(-1, activity.snapshot().firstNanos());
    activity.begin(SyncActivity.Kind.SEND);
    now.set(1_400);
    SyncActivity.Snapshot open = activity.snapshot();
    assertEquals(400, open.sendNanos());
    assertEquals(400, open.activeNanos());
  }
}
