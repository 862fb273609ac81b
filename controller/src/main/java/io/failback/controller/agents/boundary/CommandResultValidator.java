package io.failback.controller.agents.boundary;

import static io.failback.common.sync.SyncProgress.MAX_BLOCKS;
import static io.failback.common.sync.SyncProgress.MAX_BYTES;

import io.failback.common.ids.VmId;
import io.failback.common.text.BoundedText;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.SyncReport;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The one check of a command result an agent sends, before the waiting command sees it.
 *
 * <p>An over-long error text is cut rather than refused: the command it answers must still
 * end, and the operator still learns what the agent said. For the same reason its control
 * characters are escaped, not refused: the text goes into one-line logs, job errors and the
 * CLI's output, where a newline forged a log record and an escape sequence reached the
 * operator's terminal.
 */
public final class CommandResultValidator {
  private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]*");
  /**
   * What one ReleaseVm may remove of each kind: a VM has at most 260 disks, one digest set and
   * a few reference points each, and Hyper-V keeps at most 50 checkpoints of it.
   */
  private static final long MAX_RELEASED = 1 << 16;

  private CommandResultValidator() {}

  /** {@code result} with its error text bounded; refused if anything else is malformed. */
  public static CommandResult check(CommandResult result, String host)
      throws AgentInputException {
    Problems problems = new Problems();
    Fields.text(problems, "command_result.command_id", result.getCommandId(), 1,
        AgentLimits.MAX_SHORT_TEXT_CHARS);
    if (!result.getCreatedVmId().isEmpty() && !VmId.isValid(result.getCreatedVmId())) {
      problems.add("command_result.created_vm_id", VmId.problem(result.getCreatedVmId()));
    }
    switch (result.getPayloadCase()) {
      case INVENTORY -> {
        try {
          InventoryValidator.check(result.getInventory(), host);
        } catch (AgentInputException e) {
          problems.add("command_result.inventory", e.getMessage());
        }
      }
      case SYNC_REPORT -> checkReport(problems, result.getSyncReport());
      case SAMPLE_DIGESTS -> {
        var digests = result.getSampleDigests();
        Fields.count(problems, "command_result.sample_digests.digests",
            digests.getDigestsCount(), 1 << 16);
        for (int i = 0; i < digests.getDigestsCount(); i++) {
          if (digests.getDigests(i).size() > AgentLimits.MAX_DIGEST_BYTES) {
            problems.add("command_result.sample_digests.digests[" + i + "]", "is "
                + digests.getDigests(i).size() + " bytes; a digest has at most "
                + AgentLimits.MAX_DIGEST_BYTES);
          }
        }
      }
      case ROLLBACK_REPORT -> {
        var disks = result.getRollbackReport().getDisksList();
        Fields.count(problems, "command_result.rollback_report.disks", disks.size(),
            AgentLimits.MAX_DISKS_PER_VM);
        for (int i = 0; i < disks.size(); i++) {
          String disk = "command_result.rollback_report.disks[" + i + "]";
          Fields.text(problems, disk + ".disk_path", disks.get(i).getDiskPath(), 1,
              AgentLimits.MAX_PATH_CHARS);
          // The job adds them up for the operator: a wrapped or negative total else.
          Fields.atMost(problems, disk + ".regions_restored",
              disks.get(i).getRegionsRestored(), MAX_BLOCKS);
          Fields.atMost(problems, disk + ".regions_zero", disks.get(i).getRegionsZero(),
              MAX_BLOCKS);
          Fields.atMost(problems, disk + ".bytes_restored", disks.get(i).getBytesRestored(),
              MAX_BYTES);
        }
      }
      case RELEASE_REPORT -> {
        // DisableProtection's job shows them; uint32 on the wire, a negative int above 2^31.
        var release = result.getReleaseReport();
        String field = "command_result.release_report.";
        Fields.atMost(problems, field + "read_points_discarded",
            Integer.toUnsignedLong(release.getReadPointsDiscarded()), MAX_RELEASED);
        Fields.atMost(problems, field + "reference_points_destroyed",
            Integer.toUnsignedLong(release.getReferencePointsDestroyed()), MAX_RELEASED);
        Fields.atMost(problems, field + "digest_sets_deleted",
            Integer.toUnsignedLong(release.getDigestSetsDeleted()), MAX_RELEASED);
      }
      default -> { }
    }
    if (result.hasDrillSeed()) {
      // The drill's job shows them, and its seeding time becomes a protobuf Duration, which
      // refuses more than 10,000 years: a month is longer than any command waits.
      var seed = result.getDrillSeed();
      Fields.atMost(problems, "command_result.drill_seed.bytes_read", seed.getBytesRead(),
          MAX_BYTES);
      Fields.atMost(problems, "command_result.drill_seed.bytes_written",
          seed.getBytesWritten(), MAX_BYTES);
      Fields.atMost(problems, "command_result.drill_seed.millis", seed.getMillis(),
          TimeUnit.DAYS.toMillis(31));
    }
    problems.throwIfAny("command result from host " + host);
    String error = BoundedText.printable(result.getError(), AgentLimits.MAX_TEXT_CHARS);
    return error.equals(result.getError()) ? result : result.toBuilder().setError(error).build();
  }

  private static void checkReport(Problems problems, SyncReport report) {
    String field = "command_result.sync_report";
    Fields.text(problems, field + ".session_id", report.getSessionId(), 0,
        AgentLimits.MAX_SHORT_TEXT_CHARS);
    Fields.text(problems, field + ".disk_digest", report.getDiskDigest(), 0,
        2 * AgentLimits.MAX_DIGEST_BYTES);
    if (!HEX.matcher(report.getDiskDigest()).matches()) {
      problems.add(field + ".disk_digest", "is not hex");
    }
    Fields.text(problems, field + ".change_reference", report.getChangeReference(), 0,
        AgentLimits.MAX_PATH_CHARS);
    Fields.text(problems, field + ".read_point", report.getReadPoint(), 0,
        AgentLimits.MAX_PATH_CHARS);
    // A day: longer than any checkpoint a host makes before its command times out.
    Fields.atMost(problems, field + ".read_point_millis", report.getReadPointMillis(),
        TimeUnit.DAYS.toMillis(1));
    // What a session's lanes measured: a month of sending, 64 lanes waiting all of it, a PiB.
    long month = TimeUnit.DAYS.toNanos(31);
    Fields.atMost(problems, field + ".send_nanos", report.getSendNanos(), month);
    Fields.atMost(problems, field + ".link_wait_nanos", report.getLinkWaitNanos(), 64 * month);
    Fields.atMost(problems, field + ".sent_bytes", report.getSentBytes(), MAX_BYTES);
    Fields.atMost(problems, field + ".frame_wait_nanos", report.getFrameWaitNanos(), 64 * month);
    Fields.atMost(problems, field + ".target_lane_nanos", report.getTargetLaneNanos(),
        64 * month);
    Fields.atMost(problems, field + ".cpu_busy_permille",
        Integer.toUnsignedLong(report.getCpuBusyPermille()), 1000);
    // What the agent counted, which an upload's job shows and sums: a PiB, and 2^40 blocks (a
    // 64 TiB disk has 2^34 of 4 KiB; a session's resumes may scan some again).
    Fields.atMost(problems, field + ".blocks_scanned", report.getBlocksScanned(), MAX_BLOCKS);
    Fields.atMost(problems, field + ".blocks_equal", report.getBlocksEqual(), MAX_BLOCKS);
    Fields.atMost(problems, field + ".blocks_zero", report.getBlocksZero(), MAX_BLOCKS);
    Fields.atMost(problems, field + ".blocks_sent", report.getBlocksSent(), MAX_BLOCKS);
    Fields.atMost(problems, field + ".bytes_read", report.getBytesRead(), MAX_BYTES);
    Fields.atMost(problems, field + ".bytes_written", report.getBytesWritten(), MAX_BYTES);
    Fields.atMost(problems, field + ".bytes_on_wire", report.getBytesOnWire(), MAX_BYTES);
    Fields.atMost(problems, field + ".resumes", report.getResumes(), MAX_BLOCKS);
  }
}
