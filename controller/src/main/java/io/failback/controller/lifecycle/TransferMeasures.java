package io.failback.controller.lifecycle;

import io.failback.common.sync.MachineCpu;
import io.failback.common.sync.SyncActivity;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncReport;
import io.failback.proto.v1.SyncRole;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps what a finished transfer measured of its host, for the next transfer's choices and
 * predictions: of a download, the controller's own lanes' timing ({@link TransferTiming}); of
 * an upload, what the agent's lanes reported of the link while they sent.
 */
final class TransferMeasures {
  private static final Logger log = LoggerFactory.getLogger(TransferMeasures.class);

  private TransferMeasures() {}

  /**
   * @param started when the transfer began, in System.nanoTime()
   * @param cpu the controller's machine's CPU counters then
   * @param activity the controller's lanes, of every disk of the transfer
   */
  static void record(Timings timings, DiskTransfer.Plan plan, long started,
      MachineCpu.Reading cpu, SyncActivity activity, List<SyncOutcome> outcomes) {
    // A verify pass is no model for a transfer: its source reads nothing it need not.
    if (plan.readBack() == DiskTransfer.ReadBack.VERIFY_PASS) {
      return;
    }
    List<SyncReport> reports = outcomes.stream().map(SyncOutcome::agent).toList();
    BusyCpus cpus = BusyCpus.of(cpu, reports);
    if (plan.agentRole() == SyncRole.SOURCE) {
      uploaded(timings, plan.host(), reports, activity.snapshot(), cpus);
      return;
    }
    long scanned = plan.mode() != SyncMode.DELTA ? 0 : outcomes.stream()
        .mapToLong(o -> o.controller().progress().blocksScanned()).sum()
        * plan.blocks().bytes();
    // The agent's lanes, the download's targets, say whether they held the controller back.
    SyncActivity.Snapshot lanes = activity.snapshot().withTarget(
        outcomes.stream().mapToLong(o -> o.agent().getFrameWaitNanos()).sum(),
        outcomes.stream().mapToLong(o -> o.agent().getTargetLaneNanos()).sum());
    TransferTiming timing = new TransferTiming(System.nanoTime() - started,
        lanes.firstNanos() < 0 ? 0 : lanes.firstNanos() - started, lanes, scanned,
        plan.referenceAfterWrite(), plan.mode() == SyncMode.TRACKED, cpus);
    timings.transfer(plan.host(), timing);
    log.info(plan.sessionPrefix() + ": " + timing);
  }

  /**
   * The host's upload link as the agent's lanes met it. Each disk's session measured its own
   * lanes; the disks moved at once over the one link, so their bytes add up over the longest
   * sending time, and their waits for the link add up as the lanes' do within a session.
   *
   * <p>An agent's lane waits on the connection's flow control, which is the link's pace only
   * while the controller takes frames as they come: a controller whose own lanes (writing the
   * replica) rarely waited for a frame held them back itself, and the rate says nothing of the
   * link (seen on the KVM cloud: a first copy through qemu-nbd measured loopback at about 200
   * Mbit/s, and every later upload of the host was compressed with zstd 6; the controller's
   * lanes had waited for frames about half their time). A download reads the agent's lanes
   * the same way ({@link TransferTiming#linkBound}).
   *
   * <p>Lanes on both sides may also have waited for CPUs with nothing to spare ({@link
   * BusyCpus}): then neither the link nor the lanes set the pace.
   *
   * @param controller the controller's lanes, the upload's targets
   */
  static void uploaded(Timings timings, String host, List<SyncReport> reports,
      SyncActivity.Snapshot controller, BusyCpus cpus) {
    long bytes = reports.stream().mapToLong(SyncReport::getSentBytes).sum();
    long sending = reports.stream().mapToLong(SyncReport::getSendNanos).max().orElse(0);
    long waiting = reports.stream().mapToLong(SyncReport::getLinkWaitNanos).sum();
    if (bytes < TransferTiming.MIN_SENT_BYTES || sending <= 0) {
      return;
    }
    boolean heldBack = waiting * 2 >= sending;
    boolean controllerBusy = controller.targetHeldBack();
    double rate = bytes * 1e9 / sending;
    timings.uploaded(host, cpus.measured(rate, heldBack && !controllerBusy));
    log.info("upload from host {}: {} bytes at {} MB/s while sending, {}", host, bytes,
        String.format(java.util.Locale.ROOT, "%.1f", rate / 1e6), !heldBack
            ? "not held back by the link" : controllerBusy ? "held back by the controller's"
            + " own lanes (they waited for frames " + percent(controller) + " of their time)"
            : cpus.saturated() ? "held back by busy CPUs, not the link: " + cpus.note()
            : "held back by the link");
  }

  private static String percent(SyncActivity.Snapshot controller) {
    return Math.round(100.0 * controller.frameWaitNanos() / controller.targetLaneNanos()) + " %";
  }
}
