package io.failback.agent.grpc;

import io.failback.common.sync.DiskSync;
import io.failback.common.sync.MachineCpu;
import io.failback.common.sync.SyncActivity;
import io.failback.proto.v1.SyncReport;
import io.failback.proto.v1.SyncRole;

/**
 * What the agent reports of a finished sync session: its counters, what its lanes measured in
 * its role (of the link as a source, of its own pace as a target), and how busy this machine's
 * CPUs were meanwhile, from which the controller learns the host's link and what held it back.
 */
final class SessionReport {
  private SessionReport() {}

  /**
   * @param cpu this machine's CPU counters when the session started
   */
  static SyncReport of(String sessionId, DiskSync.Result outcome, SyncRole role,
      SyncActivity.Snapshot lanes, MachineCpu.Reading cpu) {
    var counters = outcome.progress();
    SyncReport.Builder report = SyncReport.newBuilder().setSessionId(sessionId)
        .setDiskDigest(outcome.diskDigestHex()).setBlocksScanned(counters.blocksScanned())
        .setBlocksEqual(counters.blocksEqual()).setBlocksZero(counters.blocksZero())
        .setBlocksSent(counters.blocksSent()).setBytesRead(counters.bytesRead())
        .setBytesWritten(counters.bytesWritten()).setBytesOnWire(counters.bytesOnWire())
        .setResumes(counters.resumes());
    if (role == SyncRole.SOURCE) {
      report.setSendNanos(lanes.sendNanos()).setLinkWaitNanos(lanes.linkWaitNanos())
          .setSentBytes(lanes.sentBytes());
    } else {
      report.setFrameWaitNanos(lanes.frameWaitNanos())
          .setTargetLaneNanos(lanes.targetLaneNanos());
    }
    MachineCpu.busy(cpu, MachineCpu.read()).ifPresent(busy ->
        report.setCpuBusyPermille((int) Math.round(busy * 1000)));
    return report.build();
  }
}
