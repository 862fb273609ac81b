package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.proto.v1.Job;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The on-prem disks as they were before a failback: their bytes, and a copy of the VHDX. */
record OnPremBefore(byte[][] disks, Path vhdxCopy) {
  static OnPremBefore of(LifecycleFixture fixture, Path dir) throws Exception {
    Files.createDirectories(dir);
    Path copy = Files.copy(fixture.onPremDisk(0), dir.resolve("disk0.vhdx"));
    return new OnPremBefore(new byte[][] {fixture.onPremBytes(0), fixture.onPremBytes(1)},
        copy);
  }

  /** Waits up to {@code seconds} for a due rollback, then checks it ({@link #assertRolledBack}). */
  void awaitRolledBack(LifecycleFixture fixture, long seconds) throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
    while (fixture.item().getState() != io.failback.proto.v1.ProtectionState.FAILED_OVER) {
      assertTrue(System.nanoTime() < deadline, "the due rollback never ran: " + fixture.item());
      Thread.sleep(50);
    }
    assertRolledBack(fixture, null);
  }

  /**
   * The controller, the agent and the disks all show the failback undone; {@code job}, unless
   * null (a rollback done later, without it), says so.
   */
  void assertRolledBack(LifecycleFixture fixture, Job job) throws Exception {
    assertTrue(job == null || job.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("the on-prem disks were rolled back to their state before the failback")),
        String.valueOf(job));
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILED_OVER, item.getState(), item.toString());
    assertEquals("", item.getInconsistentReason());
    assertEquals("", item.getUndoJournal());
    assertEquals(List.of("PlannedFailover", "TestFailback", "RestartCloudVm",
        "DisableProtection"),
        item.getAllowedActionsList());
    assertEquals("", item.getActiveJobId());
    assertEquals("", fixture.agentVm().getInconsistentReason(),
        "the agent still marks the rolled-back disks inconsistent");
    assertEquals(io.failback.proto.v1.PowerState.OFF, fixture.onPremVm().getPowerState());
    for (int i = 0; i < disks.length; i++) {
      assertArrayEquals(disks[i], fixture.onPremBytes(i), "on-prem disk " + i + " differs"
          + " from before the failback");
      assertFalse(Files.exists(Path.of(fixture.onPremDisk(i) + ".failback-undo")),
          "the undo journal of disk " + i + " was left behind");
    }
    FailbackFullDownloadTest.qemuImgCompareVhdx(fixture.onPremDisk(0), vhdxCopy);
    assertEquals(trackingPoint(item), fixture.controller.server.cloud().snapshots(
        item.getCloudVmId()), "the cancelled run's snapshot was kept");
  }

  /**
   * The one snapshot a failed-over cloud VM keeps beside a failback's or a drill's: the tracking
   * point of its planned failover, if it has one.
   */
  static List<String> trackingPoint(ProtectedItem item) {
    String point = item.getFailoverBaseline().getCloudTrackingPoint();
    return point.isEmpty() ? List.of() : List.of(point);
  }

  /**
   * Flips one bit of the old bytes the undo journal of on-prem disk {@code disk} preserved (bit
   * rot, a bad sector); returns the journal.
   */
  static Path damageUndoJournal(LifecycleFixture fixture, int disk) throws Exception {
    Path journal = Path.of(fixture.onPremDisk(disk) + ".failback-undo");
    byte[] bytes = Files.readAllBytes(journal);
    bytes[32 + 20 + 1000] ^= 1;
    Files.write(journal, bytes);
    return journal;
  }
}
