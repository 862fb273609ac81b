package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.common.sync.DiskSync;
import io.failback.common.sync.SyncProgress;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.SyncReport;
import java.util.List;
import org.junit.jupiter.api.Test;

class PhaseReportTest {
  @Test
  void aPassSaysWhatItScannedSentAndSentAsZerosOverEveryDiskInTheUnitThatReads() {
    // Two disks of an upload: the agent scanned, the controller counted sent and zeros; the
    // wire is both sides' frame bytes.
    List<SyncOutcome> upload = List.of(outcome(0, 16000, 384, 1_000_000_000L, 0, 9_000),
        outcome(0, 10, 0, 655_360, 0, 4_096));
    assertEquals("16394 blocks scanned, 16010 sent, 384 as zeros, 954.3 MiB on the wire",
        PhaseReport.moved(upload, true));
    // A download of few blocks: the controller scanned; no zeros, a few KiB.
    assertEquals("16384 blocks scanned, 20 sent, 48.9 KiB on the wire",
        PhaseReport.moved(List.of(outcome(16384, 20, 0, 40_000, 0, 10_074)), false));
  }

  @Test
  void anUploadResumedAfterItsAgentWasLostCountsWhatTheEarlierSessionsScannedToo() {
    // The agent's report counts its last session: 3,072 blocks; the one before said 13,312 at
    // its last batch end, and 40 equal, 851 MiB read.
    SyncOutcome resumed = outcome(0, 8010, 8384, 200_000_000L, -13_322, 300_000_000L)
        .withEarlierSources(new SyncProgress.SourceCounts(13_312, 40, 851L << 20));
    assertEquals("16384 blocks scanned, 8010 sent, 8384 as zeros, 476.8 MiB on the wire",
        PhaseReport.moved(List.of(resumed), true));
    assertEquals(40, resumed.agent().getBlocksEqual());
    assertEquals(851L << 20, resumed.agent().getBytesRead());
  }

  private static SyncOutcome outcome(long controllerScanned, long sent, long zero, long wire,
      long agentScannedLeft, long agentWire) {
    // The controller counts what it received from the agent; the agent's own count (here 1)
    // is of its last session only.
    SyncProgress.Snapshot counts = new SyncProgress.Snapshot(controllerScanned, 0, zero, sent,
        0, 0, wire, agentWire, 0, 0, 0);
    return new SyncOutcome(new DiskSync.Result(new byte[32], List.of(), counts),
        SyncReport.newBuilder().setBlocksScanned(sent + zero + agentScannedLeft)
            .setBytesOnWire(1).build());
  }
}
