package io.failback.agent.grpc;

import io.failback.agent.encryption.EncryptionCertificateStore;
import io.failback.agent.encryption.SessionKeys;
import io.failback.agent.hyperv.ReadPoint;
import io.failback.agent.hyperv.SourceTracking;
import io.failback.agent.hyperv.state.AfterWriteReferences;
import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.agent.hyperv.state.OpenSessions;
import io.failback.agent.hyperv.state.ParkedReadPoints;
import io.failback.agent.hyperv.state.ReadPoints;
import io.failback.common.crypto.JobKey;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.metrics.SyncMeter;
import io.failback.common.sync.DigestSets;
import io.failback.common.sync.DiskSync;
import io.failback.common.sync.MachineCpu;
import io.failback.common.sync.SyncException;
import io.failback.common.sync.SyncProgress;
import io.failback.proto.v1.CommandResult;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the agent's side of the sync sessions the controller announces, each on its own thread,
 * and reports each one's outcome as a command result.
 *
 * <p>The agent only opens disks its hypervisor reports in its inventory: a controller cannot
 * make it read or overwrite an arbitrary file.
 */
public final class AgentSyncRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentSyncRunner.class);
  private static final int MAX_ATTEMPTS_PER_LANE = 20;
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private final AgentChannels channels;
  private final GuardedHypervisor driver;
  private final ExecutorService sessions = Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "agent-sync");
    thread.setDaemon(true);
    return thread;
  });

  private final DigestSets digestSets;
  /** Set once by {@link #close}: lanes end at their next batch boundary. */
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final EncryptionCertificateStore encryption;
  private final AfterWriteReferences afterWrite;
  /** Read points of sessions that ended early, kept for the job's continued session. */
  private final ParkedReadPoints parked = new ParkedReadPoints();
  private final SyncMeter meter;
  /** Adds each running session's counters to the meter while it runs. */
  private final ScheduledExecutorService metering =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "agent-sync-metering");
        thread.setDaemon(true);
        return thread;
      });

  public AgentSyncRunner(AgentChannels channels, GuardedHypervisor driver, DigestSets digestSets,
      EncryptionCertificateStore encryption, SyncMeter meter) {
    this.meter = meter;
    this.channels = channels;
    this.driver = driver;
    this.digestSets = digestSets;
    this.encryption = encryption;
    this.afterWrite = new AfterWriteReferences(driver.readPoints());
  }

  /** The read points parked for continued sessions; a release of their VM ends them. */
  public ParkedReadPoints parked() {
    return parked;
  }

  /** Starts the session in the background; {@code report} gets the result once it ends. */
  public void start(String commandId, StartSync start, Consumer<CommandResult> report) {
    try {
      sessions.execute(() -> report.accept(run(commandId, start)));
    } catch (RejectedExecutionException stopped) {
      report.accept(CommandResult.newBuilder().setCommandId(commandId).setError("sync session "
          + start.getParameters().getSessionId() + ": agent stopping").build());
    }
  }

  /**
   * A warm-up session onto a scratch disk. The controller ends it by cancelling it once the
   * transfer it warms can start: an end, not a failure, so it is logged at info.
   */
  private CommandResult warmUp(StartSync start, JobKey payloadKey, CommandResult.Builder result)
      throws InterruptedException {
    String sessionId = start.getParameters().getSessionId();
    try (BlockDevice scratch = WarmUpSessions.scratch(start)) {
      runSession(start, payloadKey, scratch, SourceTracking.NONE, result);
    } catch (IOException | SyncException e) {
      log.info("warm-up session " + sessionId + " ended: " + e.getMessage());
      result.setError("sync session " + sessionId + ": " + e.getMessage());
    }
    return result.build();
  }

  private CommandResult run(String commandId, StartSync start) {
    CommandResult.Builder result = CommandResult.newBuilder().setCommandId(commandId);
    String sessionId = start.getParameters().getSessionId();
    try {
      // Before the disk is opened (and marked inconsistent): a session this agent cannot
      // decrypt must leave the disk and the VM's state exactly as they were.
      JobKey payloadKey = SessionKeys.payloadKey(encryption, start.getParameters());
      if (start.getWarmUp()) {
        return warmUp(start, payloadKey, result);
      }
      VirtualMachine vm = find(start);
      OpenSessions.Handle open = driver.sessions().session(vm.getId());
      try {
        if (start.getAgentRole() == SyncRole.SOURCE) {
          runFromReadPoint(start, payloadKey, vm, result);
        } else {
          runAsTarget(start, payloadKey, vm, result);
        }
      } finally {
        open.close();
      }
    } catch (ParkedReadPoints.GoneException e) {
      log.info("sync session " + sessionId + " refused: " + e.getMessage());
      result.setError("sync session " + sessionId + ": " + e.getMessage())
          .setReadPointGone(true);
    } catch (SourceTracking.ReferenceUnknownException e) {
      // Before any read or send: the controller recognizes the flag and compares checksums.
      log.info("sync session " + sessionId + " refused: " + e.getMessage());
      result.setError("sync session " + sessionId + ": " + e.getMessage())
          .setChangeReferenceUnknown(true);
    } catch (IOException | SyncException e) {
      log.warn("sync session " + sessionId + " failed: " + e.getMessage());
      result.setError("sync session " + sessionId + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result.setError("sync session " + sessionId + ": agent stopping");
    } catch (RuntimeException e) {
      // A bug still answers: the controller waits on this result.
      log.warn("sync session " + sessionId + " failed", e);
      result.setError("sync session " + sessionId + ": agent error: " + e);
    }
    return result.build();
  }

  /**
   * Writes the disk; when the controller asks for one, the reference point is made once every
   * overlapping session of the VM has written its disk: every later write, the rest of the
   * failback's included, is in the host's changed set since then.
   */
  private void runAsTarget(StartSync start, JobKey payloadKey, VirtualMachine vm,
      CommandResult.Builder result) throws IOException, SyncException, InterruptedException {
    boolean reference = start.getReferenceAfterWrite()
        && !start.getParameters().getDigestSet().isEmpty();
    if (reference) {
      // Before the checks: none may run while the VM's reference point (a checkpoint) is made.
      afterWrite.starting(vm.getId());
    }
    boolean wrote = false;
    try {
      admitTarget(start, vm);
      try (BlockDevice device = target(start, vm)) {
        runSession(start, payloadKey, device, SourceTracking.NONE, result);
      }
      wrote = true;
    } finally {
      if (reference) {
        String made = afterWrite.finished(vm.getId(), start.getDiskPath(), wrote);
        if (wrote) {
          result.getSyncReportBuilder().setChangeReference(made);
        }
      }
    }
  }

  /** The disk to write; under its undo journal when the controller asks for one. */
  private BlockDevice target(StartSync start, VirtualMachine vm) throws IOException {
    BlockDevice device = BlockDevices.open(Path.of(start.getDiskPath()), true);
    if (start.getUndoJournal().isEmpty()) {
      return device;
    }
    try {
      return driver.undo().journaled(vm.getId(), start.getUndoJournal(), start.getDiskPath(),
          device);
    } catch (IOException | RuntimeException e) {
      device.close();
      throw new IOException("cannot keep an undo journal of " + start.getDiskPath()
          + " (nothing was written): " + e.getMessage(), e);
    }
  }

  /**
   * Reads the disk as the VM's shared read point froze it, whether the VM runs or not (a real
   * host refuses to read a running VM's disk, and would copy blocks of different moments); once
   * every session of the VM's disks has ended, the read point becomes the disk's new reference
   * point.
   */
  private void runFromReadPoint(StartSync start, JobKey payloadKey, VirtualMachine vm,
      CommandResult.Builder result) throws IOException, SyncException, InterruptedException {
    String token = start.getReadPointToken();
    parked.endUnwanted(vm.getId(), token, start.getDiskPath(), start.getContinueReadPoint());
    ReadPoints.Lease joined;
    long waitedMillis = 0;
    if (start.getContinueReadPoint()) {
      joined = parked.take(token, start.getDiskPath()).orElseThrow(() ->
          new ParkedReadPoints.GoneException("no read point of VM " + vm.getName() + " kept under "
              + token + " for disk " + start.getDiskPath() + " (ended, or the agent restarted"
              + " since); nothing was read"));
    } else {
      long asked = System.nanoTime();
      try {
        joined = driver.readPoints().join(vm.getId());
        waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
      } catch (IOException e) {
        if (vm.getPowerState() != PowerState.OFF
            || e instanceof ReadPoint.OutcomeUnknownException) {
          throw e;
        }
        readInPlace(start, payloadKey, vm, result, e.getMessage());
        return;
      }
    }
    boolean ended = false;
    parked.started(vm.getId(), token, start.getDiskPath());
    try {
      ReadPoint point = joined.point();
      Path frozen = point.disk(start.getDiskPath());
      SourceTracking tracking = SourceTracking.fromReadPoint(point, start.getDiskPath(),
          start.getParameters(), start.getChangeReference());
      try (BlockDevice device = BlockDevices.open(frozen, false)) {
        runSession(start, payloadKey, device, tracking, result);
      }
      ended = true;
      if (!token.isEmpty()) {
        parked.finished(token, start.getDiskPath(), joined);
        log.info("sync session " + start.getParameters().getSessionId() + " read "
            + start.getDiskPath() + " to its end; the read point ends with the VM's last"
            + " session");
      }
      String reference = joined.succeeded(start.getDiskPath());
      result.getSyncReportBuilder().setReadPoint(point.id()).setReadPointMillis(waitedMillis);
      if (!start.getParameters().getDigestSet().isEmpty()) {
        result.getSyncReportBuilder().setChangeReference(reference);
      }
    } finally {
      if (ended || token.isEmpty() || stopping.get()) {
        joined.close();
      } else {
        // Ended early (the controller went away, the link broke): the job may continue it.
        parked.park(vm.getId(), token, start.getDiskPath(), joined);
      }
      parked.ended(vm.getId(), token, start.getDiskPath());
    }
  }

  /**
   * Reads the disk of an Off VM for which the host made no read point (a host that cannot
   * checkpoint an Off VM): nothing writes it, so it is read in place, after the same checks as
   * a write. No new reference point: the disk's next sync compares checksums, and so does a
   * TRACKED session now (the controller retries it so).
   */
  private void readInPlace(StartSync start, JobKey payloadKey, VirtualMachine vm,
      CommandResult.Builder result, String why)
      throws IOException, SyncException, InterruptedException {
    if (start.getParameters().getMode() == SyncMode.TRACKED) {
      throw new SourceTracking.ReferenceUnknownException("no read point of VM " + vm.getName()
          + " (" + why + "), so no changed blocks of disk " + start.getDiskPath()
          + "; nothing was read");
    }
    log.warn("no read point of VM " + vm.getName() + " (" + why + "); it is Off, so disk "
        + start.getDiskPath() + " is read in place, and its next sync compares checksums");
    driver.checkDiskAccess(vm.getId(), start.getDiskPath(), false);
    try (BlockDevice device = BlockDevices.open(Path.of(start.getDiskPath()), false)) {
      runSession(start, payloadKey, device, SourceTracking.NONE, result);
    }
  }

  private void runSession(StartSync start, JobKey payloadKey, BlockDevice device,
      SourceTracking tracking, CommandResult.Builder result)
      throws SyncException, InterruptedException {
    String sessionId = start.getParameters().getSessionId();
    SyncProgress progress = new SyncProgress();
    SyncMeter.Recorder recorder = meter.recorder(Tags.of(
        "direction", start.getWarmUp() ? SyncMeter.WARM_UP
            : start.getAgentRole() == SyncRole.TARGET ? SyncMeter.TO_ONPREM : SyncMeter.TO_CLOUD,
        "mode", start.getParameters().getMode().name().toLowerCase(java.util.Locale.ROOT)));
    ScheduledFuture<?> metered = metering.scheduleAtFixedRate(
        () -> recorder.record(progress.snapshot()), 1, 1, TimeUnit.SECONDS);
    MachineCpu.Reading cpu = MachineCpu.read();
    DiskSync.Result outcome;
    try {
      outcome = new DiskSync(start.getParameters(), start.getAgentRole(), device,
          new AgentLaneConnector(channels, sessionId, start.getAgentRole(), stopping::get),
          checkpoint -> {}, progress, MAX_ATTEMPTS_PER_LANE, Duration.ofSeconds(1),
          new DiskSync.Options(digestSets, tracking.changed(), payloadKey)).run();
    } finally {
      metered.cancel(false);
      recorder.record(progress.snapshot());
    }
    result.setSyncReport(SessionReport.of(sessionId, outcome, start.getAgentRole(),
        progress.activity().snapshot(), cpu));
    log.info("sync session " + sessionId + " done: " + outcome.diskDigestHex());
  }

  /**
   * The VM that owns the session's disk, after the generation check. While the host makes a
   * read point it may report the VM's disks under other names (Hyper-V: the checkpoint's new
   * files); a source session that does not find its disk then looks again once it is made.
   */
  private VirtualMachine find(StartSync start) throws IOException, InterruptedException {
    long creations = driver.readPoints().creationsEnded();
    VirtualMachine vm = find(start, driver.inventory());
    if (vm == null && start.getAgentRole() == SyncRole.SOURCE
        && driver.readPoints().awaitCreationsSince(creations)) {
      vm = find(start, driver.inventory());
    }
    if (vm == null) {
      throw new IOException("disk '" + start.getDiskPath() + "' is not a disk of any VM on"
          + " this host");
    }
    driver.generations().admit(vm.getId(), start.getGeneration());
    return vm;
  }

  private static VirtualMachine find(StartSync start, HostInventory inventory) {
    for (VirtualMachine vm : inventory.getVirtualMachinesList()) {
      for (VirtualDisk disk : vm.getDisksList()) {
        if (disk.getPath().equals(start.getDiskPath())) {
          return vm;
        }
      }
    }
    return null;
  }

  /** Refuses unless the disk may be written now, then marks its VM inconsistent. */
  private void admitTarget(StartSync start, VirtualMachine vm)
      throws IOException, InterruptedException {
    if (vm.getPowerState() != PowerState.OFF) {
      // Overwriting the disk of a running VM would corrupt it under the guest.
      throw new IOException("VM " + vm.getName() + " is " + vm.getStateDetail()
          + "; it must be Off before its disk " + start.getDiskPath() + " is written");
    }
    // A read point left by a crash would hold the VM's disks as a checkpoint chain.
    driver.readPoints().discardLeftOver(vm.getId());
    driver.checkDiskAccess(vm.getId(), start.getDiskPath(), true);
    // Durable before the first write: from here until a verified end the disks mix old and
    // new blocks, whatever happens to this process or the controller.
    driver.marks().mark(vm.getId(), "sync session " + start.getParameters().getSessionId()
        + " is writing disk " + start.getDiskPath());
  }

  /**
   * Stops gracefully: running sessions end at a batch boundary with their complete batches
   * flushed and acknowledged, and report "agent stopping"; whatever still runs after {@code
   * STOP_GRACE} (a lane waiting on a silent peer) is interrupted.
   */
  @Override
  public void close() {
    stopping.set(true);
    sessions.shutdown();
    // First: a session that read its disk to the end waits for the VM's read point to end,
    // which a parked share of a failed session would hold for its 15 minutes.
    parked.close();
    try {
      if (!sessions.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("sync sessions still running " + STOP_GRACE.toSeconds() + " s after the"
            + " stop; interrupting them");
        sessions.shutdownNow();
      }
    } catch (InterruptedException e) {
      sessions.shutdownNow();
      Thread.currentThread().interrupt();
    }
    metering.shutdownNow();
  }
}
