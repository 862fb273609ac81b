package io.failback.controller.lifecycle;

import io.failback.controller.cloud.CloudException;
import io.failback.proto.v1.DiskRollback;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RollbackReport;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Undoes a failback that did not finish (cancelled, failed, cut short by a restart): the agent
 * puts the on-prem disks back from their undo journals, the cloud VM runs, and the item is
 * FAILED_OVER again, as if the failback had never started. When the host cannot do it now
 * the item waits in FAILBACK_INCONSISTENT with the rollback due, and so it does, saying so,
 * when the disks went back but the cloud VM would not start (the due rollback then only starts
 * it); when a journal is missing or damaged it stays there and says why.
 */
final class FailbackRollback {
  private static final Logger log = LoggerFactory.getLogger(FailbackRollback.class);

  /** How long the sweep of due rollbacks waits for a host to answer before it tries. */
  private static final java.time.Duration PROBE = java.time.Duration.ofSeconds(10);
  /**
   * The same for the job that ends: a cancel must end within seconds whatever the host does;
   * a host slower than this to answer gets its rollback from the sweep moments later.
   */
  static final java.time.Duration JOB_PROBE = java.time.Duration.ofSeconds(3);

  private final LifecycleContext context;

  FailbackRollback(LifecycleContext context) {
    this.context = context;
  }

  /**
   * Rolls back every item of {@code items} whose rollback is due and whose host is online; where
   * the host is not, starts the cloud VM if it is off. The on-prem VM stays fenced until its
   * disks go back, which needs its host; the cloud copy needs nothing of the host and must not
   * stay off meanwhile (its start failed as the failback ended, say).
   */
  void runDue(java.util.List<ProtectedItem> items) {
    for (ProtectedItem item : items) {
      if (!ProtectedItems.rollbackDue(item)) {
        continue;
      }
      if (context.hosts().isOnline(item.getOnPremHost())) {
        run(item, "rolled back later", PROBE);
      } else {
        startCloudVmMeanwhile(item);
      }
    }
  }

  private void startCloudVmMeanwhile(ProtectedItem item) {
    java.util.Optional<String> started;
    try {
      started = FlowSupport.startUnlessRunning(context.cloud(), item.getCloudVmId());
    } catch (CloudException | RuntimeException e) {
      // The reason says the start failed, or the VM was off for the failback: the next sweep
      // tries again, without a warning each time.
      log.debug(item.getVmName() + ": starting the cloud VM failed: " + e.getMessage());
      return;
    }
    started.ifPresent(notes -> {
      String old = item.getInconsistentReason();
      // The first clause says which failback ended how; what followed is out of date.
      String history = old.contains("; ") ? old.substring(0, old.indexOf("; ") + 2) : "";
      String reason = history + "the cloud VM runs again since " + context.clock().instant()
          + notes + "; the on-prem disks are rolled back from their undo journals as soon as"
          + " host " + item.getOnPremHost() + " answers";
      FlowSupport.quietly("explaining " + item.getVmName(), () -> context.items()
          .explainInconsistent(item.getVmId(), reason));
      log.warn(item.getVmName() + ": cloud VM " + item.getCloudVmId() + " started again while"
          + " host " + item.getOnPremHost() + " is offline; the on-prem disks are rolled back"
          + " when it answers" + notes);
    });
  }

  /** Rolls {@code item} back as its job ends; returns what happened, for the job and the log. */
  String run(ProtectedItem item, String why) {
    return run(item, why, JOB_PROBE);
  }

  private String run(ProtectedItem item, String why, java.time.Duration longestProbe) {
    String host = item.getOnPremHost();
    String vm = FlowSupport.onPremVmId(item);
    try {
      // A hung agent or a stalled link would hold the job (or the sweep) for the command
      // timeout: ask something trivial first, and leave the rollback due if nothing answers.
      // No longer than a sync may stall: a host that slow has stalled the failback already.
      java.time.Duration probe = longestProbe.compareTo(context.transfer().stallTimeout()) < 0
          ? longestProbe : context.transfer().stallTimeout();
      if (!context.hosts().answers(host, probe)) {
        throw new LifecycleException("host " + host + " does not answer within "
            + probe.toMillis() / 1000.0 + " s");
      }
      RollbackReport report = context.hosts().rollbackDisks(host, vm, item.getGeneration(),
          item.getUndoJournal());
      boolean retry = item.getState() == ProtectionState.FAILBACK_INCONSISTENT;
      // A rollback due again after its cloud VM did not start finds nothing left to put back.
      String rolledBack = retry && report.getDisksCount() == 0
          ? "the on-prem disks hold what they held before the failback"
          : "the on-prem disks were rolled back to their state before the failback ("
              + describe(report) + ")";
      // The cloud copy is the only one that may run: the failback is undone.
      String started;
      try {
        started = FlowSupport.startUnlessRunning(context.cloud(), item.getCloudVmId())
            .map(notes -> "the cloud VM runs again" + notes + "; ").orElse("");
      } catch (CloudException | RuntimeException e) {
        // Due again, with the journal's name: the sweep's next rollback finds nothing left to
        // put back (a no-op) and starts the VM again, until it runs.
        String reason = "failback " + why + "; " + rolledBack + ", but starting the cloud VM"
            + " failed (" + e.getMessage() + "); it is tried again until it runs";
        if (retry) {
          // Said once at WARN already; the item keeps the latest reason (the host may have
          // been what the rollback waited for until now).
          FlowSupport.quietly("explaining " + item.getVmName(), () -> context.items()
              .explainInconsistent(item.getVmId(), reason));
        } else {
          inconsistent(item, reason, true);
        }
        return rolledBack + "; starting the cloud VM failed (" + e.getMessage() + "): it is"
            + " tried again; the item is FAILBACK_INCONSISTENT until it runs";
      }
      context.items().transition(item.getVmId(), null, ProtectionState.FAILED_OVER,
          b -> b.clearActiveJobId().clearInconsistentReason().clearUndoJournal());
      // The failover baseline and its tracking point stay: a re-run's phase 1 sends again every
      // block the cloud VM wrote since the failover, those put back here among them.
      String done = rolledBack + "; " + started + "the item is FAILED_OVER";
      log.info(item.getVmName() + ": " + done);
      return done;
    } catch (UndoUnusableException e) {
      String reason = "failback " + why + "; rolling the on-prem disks back is impossible: "
          + e.getMessage() + ". They may mix old and new blocks: re-run PlannedFailover to"
          + " bring them to the cloud VM's state";
      inconsistent(item, reason, false);
      return "rollback impossible (" + e.getMessage() + "); the item is FAILBACK_INCONSISTENT";
    } catch (Exception e) {
      if (item.getState() == ProtectionState.FAILBACK_INCONSISTENT) {
        // Already due, and it says so: the next try comes with the next sweep.
        return "rollback still due: " + e.getMessage();
      }
      String reason = "failback " + why + "; the on-prem disks are rolled back from their undo"
          + " journals as soon as host " + host + " can (" + e.getMessage() + ")";
      inconsistent(item, reason, true);
      return "rollback due: " + e.getMessage() + "; it runs when host " + host + " can";
    }
  }

  private void inconsistent(ProtectedItem item, String reason, boolean keepJournal) {
    FlowSupport.quietly("marking " + item.getVmName() + " inconsistent",
        () -> context.items().transition(item.getVmId(), null,
            ProtectionState.FAILBACK_INCONSISTENT, b -> {
              b.clearActiveJobId().setInconsistentReason(reason);
              if (!keepJournal) {
                b.clearUndoJournal();
              }
            }));
    log.warn(item.getVmName() + ": " + reason);
  }

  static String describe(RollbackReport report) {
    long regions = 0;
    long bytes = 0;
    for (DiskRollback disk : report.getDisksList()) {
      regions += disk.getRegionsRestored();
      bytes += disk.getBytesRestored();
    }
    return report.getDisksCount() == 0 ? "no disk had been written"
        : String.format(Locale.ROOT, "%d regions, %.1f MiB put back on %d disk%s", regions,
            bytes / 1048576.0, report.getDisksCount(), report.getDisksCount() == 1 ? "" : "s");
  }
}
